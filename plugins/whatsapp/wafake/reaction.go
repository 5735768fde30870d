package wafake

import (
	"context"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// EncReaction is the reaction a member of a community's announcement
// group sends to one of its messages (target: as Receive gave it, with a
// message secret): emoji ("" takes it back), encrypted by whatsmeow's
// own EncryptReaction as reactor (a LID, as such groups name members),
// with the message's secret the device stored. Hand it to Receive as a
// message from reactor in the target's chat.
func (c *Client) EncReaction(ctx context.Context, reactor types.JID, target *types.MessageInfo, emoji string) (*waE2E.Message, error) {
	// A client on the same stores, its own LID the reactor's: the key a
	// reaction is encrypted with is made of its sender.
	dev := *c.dev
	r := reactor.ToNonAD()
	dev.LID = r
	key := &waCommon.MessageKey{ID: proto.String(target.ID), FromMe: proto.Bool(false), RemoteJID: proto.String(target.Chat.String()),
		Participant: proto.String(target.Sender.ToNonAD().String())}
	enc, err := whatsmeow.NewClient(&dev, nil).EncryptReaction(ctx, target, &waE2E.ReactionMessage{Key: key, Text: proto.String(emoji)})
	if err != nil {
		return nil, err
	}
	return &waE2E.Message{EncReactionMessage: enc}, nil
}

// EncComment is the comment a member of a community's announcement group
// sends on one of its messages (target, as for EncReaction): text,
// encrypted by whatsmeow's own EncryptComment as commenter (a LID). Hand
// it to Receive as a message from commenter in the target's chat.
func (c *Client) EncComment(ctx context.Context, commenter types.JID, target *types.MessageInfo, text string) (*waE2E.Message, error) {
	dev := *c.dev
	dev.LID = commenter.ToNonAD()
	return whatsmeow.NewClient(&dev, nil).EncryptComment(ctx, target, &waE2E.Message{Conversation: proto.String(text)})
}
