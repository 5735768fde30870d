package wafake

import (
	"context"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// PollVote is the vote voter's phone sends in a poll the device received
// (poll: its message as Receive gave it): the options chosen, by name
// (none takes the vote back), encrypted by whatsmeow's own
// EncryptPollVote as voter, with the poll's secret the device stored. Hand
// it to Receive as a message from voter in the poll's chat.
func (c *Client) PollVote(ctx context.Context, voter types.JID, poll *types.MessageInfo, options ...string) (*waE2E.Message, error) {
	// A client on the same stores, its own JID the voter's: the key a
	// vote is encrypted with is made of its voter.
	dev := *c.dev
	v := voter.ToNonAD()
	dev.ID = &v
	pu, err := whatsmeow.NewClient(&dev, nil).EncryptPollVote(ctx, poll, &waE2E.PollVoteMessage{SelectedOptions: whatsmeow.HashPollOptions(options)})
	if err != nil {
		return nil, err
	}
	// The poll's key as the voter's phone writes it: "from me" when the
	// poll is theirs; in a chat of two, the other one's JID.
	fromMe := poll.Sender.ToNonAD() == v
	key := &waCommon.MessageKey{ID: proto.String(poll.ID), FromMe: proto.Bool(fromMe), RemoteJID: proto.String(poll.Chat.String())}
	switch {
	case poll.IsGroup:
		key.Participant = proto.String(poll.Sender.ToNonAD().String())
	case v == poll.Chat.ToNonAD():
		key.RemoteJID = proto.String(c.dev.ID.ToNonAD().String())
	}
	pu.PollCreationMessageKey = key
	return &waE2E.Message{PollUpdateMessage: pu}, nil
}
