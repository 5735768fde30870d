package bridge

import (
	"context"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// "/poll-close" sent as a reply (XEP-0461) to a poll the user started,
// in a chat or a room, closes it on the network (ClosePoll, feature
// poll_close): no one votes any more. It is not sent as a message; the
// poll's message corrected to its results answers it, a refusal (another's
// poll) an error reply naming why.

// pollCloseUsage is what a "/poll-close" the gateway cannot use answers.
const pollCloseUsage = "usage: reply to your poll with /poll-close"

// closePoll answers the user's "/poll-close" sent in chatID in reply to
// the message replyTo names.
func (s *session) closePoll(ctx context.Context, st *wire.Stanza, chatID, txn, replyTo string) {
	s.replyCommand(ctx, st, chatID, txn, replyTo, s.features().GetPollClose(), "close polls", pollCloseUsage, func(ref store.MessageRef) *pb.Command {
		return &pb.Command{Action: &pb.Command_ClosePoll{ClosePoll: &pb.ClosePoll{TargetId: ref.RemoteID, TargetMeta: ref.Meta}}}
	})
}
