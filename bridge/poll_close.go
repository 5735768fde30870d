package bridge

import (
	"context"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
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
	t := s.t
	if !s.features().GetPollClose() {
		t.send(ctx, wire.ErrorReply(st, wire.FeatureNotImpl, t.displayName()+" does not let the gateway close polls"))
		return
	}
	if replyTo == "" {
		t.send(ctx, wire.ErrorReply(st, wire.BadRequest, pollCloseUsage))
		return
	}
	if ref, ok := s.repliedTo(ctx, st, chatID, replyTo); ok {
		s.chatCommand(ctx, st, &pb.Command{LoginId: s.LoginID(), ChatId: chatID, TxnId: txn,
			Action: &pb.Command_ClosePoll{ClosePoll: &pb.ClosePoll{TargetId: ref.RemoteID, TargetMeta: ref.Meta}}})
	}
}
