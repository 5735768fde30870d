package bridge

import (
	"context"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// "/pin" sent as a reply (XEP-0461) to a message, in a chat or a room,
// pins that message on the network for everyone in the chat (Pin,
// feature pin); "/unpin" takes the pin off. It is not sent as a message;
// the network's notice of the pin answers it, a refusal an error reply
// naming why.

// pinUsage is what a "/pin" the gateway cannot use answers.
const pinUsage = "usage: reply to the message with /pin (or /unpin)"

// pin answers the user's "/pin" or "/unpin" sent in chatID in reply to
// the message replyTo names.
func (s *session) pin(ctx context.Context, st *wire.Stanza, chatID, txn, replyTo string, unpin bool) {
	s.replyCommand(ctx, st, chatID, txn, replyTo, s.features().GetPin(), "pin messages", pinUsage, func(ref store.MessageRef) *pb.Command {
		return &pb.Command{Action: &pb.Command_Pin{Pin: &pb.Pin{TargetId: ref.RemoteID, TargetMeta: ref.Meta, Unpin: unpin}}}
	})
}
