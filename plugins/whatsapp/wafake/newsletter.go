package wafake

import (
	"context"
	"fmt"
	"strconv"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// ChannelPost has WhatsApp deliver a post of a channel (newsletter) the
// user follows, as it does to every device of a follower: a <message>
// from the channel's JID (<id>@newsletter) whose <plaintext> holds the
// post unencrypted, with its server_id. It goes through WhatsApp's
// binary encoding and back, then whatsmeow's own stanza handling, which
// parses the channel as both chat and sender and dispatches the
// events.Message (its ack to WhatsApp fails, the fake having no socket;
// whatsmeow logs it).
func (c *Client) ChannelPost(ctx context.Context, channel types.JID, id types.MessageID, serverID int, at time.Time, msg *waE2E.Message) error {
	body, err := proto.Marshal(msg)
	if err != nil {
		return fmt.Errorf("wafake: the post of %s: %w", channel, err)
	}
	node := waBinary.Node{Tag: "message", Attrs: waBinary.Attrs{
		"from": channel, "id": id, "t": strconv.FormatInt(at.Unix(), 10), "type": "text",
		"server_id": strconv.Itoa(serverID),
	}, Content: []waBinary.Node{{Tag: "plaintext", Content: body}}}
	got, err := overWire(node)
	if err != nil {
		return fmt.Errorf("wafake: the post of %s: %w", channel, err)
	}
	c.Real.DangerousInternals().HandleEncryptedMessage(ctx, got)
	return nil
}
