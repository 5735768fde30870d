package bridge

import (
	"context"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// handledAsCommand reports whether r answers a send the plugin ran as a
// command, not a message (CommandResult.handled_as_command: IRC's
// "/mode +o bob"), without an error.
func handledAsCommand(r *pb.CommandResult) bool {
	return r.HandledAsCommand && r.Error == nil
}

// commandDone takes r, the plugin's answer that the user's send st (under
// txn) was a command it ran: nothing reached the chat as a message, so
// nothing is reflected in a room, mapped or archived. The txn is
// recorded, so that a resend is recognised and not run again; the
// command's reply, if any, goes to the resource that sent it, from the
// chat (the room, or the contact), not stored: what an IRC client shows
// of a command's answer, for the user alone.
func (s *session) commandDone(ctx context.Context, st *wire.Stanza, txn string, r *pb.CommandResult) {
	t := s.t
	t.recordTxn(ctx, s.LoginID(), txn)
	if r.CommandReply == "" || st == nil {
		return
	}
	t.finishAnswer(ctx, t.chatAnswer(st), r.CommandReply) // chat_queries.go
}
