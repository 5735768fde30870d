package bridge

import (
	"context"
	"strings"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// Chat commands: what the user types in a chat or a room that the gateway
// runs on the network instead of sending it as text (userMessage, in
// messaging.go, tells them): /timer (chat_timer.go), /vote
// (poll_vote.go), /poll-close (poll_close.go), /pin and /unpin (pin.go);
// /poll goes as a message (poll_create.go). "/timer" alone and "/pins"
// ask about the chat (chat_queries.go).

// slashCommand reports whether body is the chat command name ("/timer",
// "/vote"), and its argument.
func slashCommand(body, name string) (string, bool) {
	body = strings.TrimSpace(body)
	rest, ok := strings.CutPrefix(body, name)
	if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t' && rest[0] != '\n') {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// chatCommand runs a chat command's cmd (the user's st asked for it) and
// waits for its result, so that what the user sends after it goes after
// it, as after a message; a refusal is answered with an error reply. Its
// txn (cmd.TxnId) is recorded once the network took it, so that a resend
// is ignored. As a correction is, it is recorded until the plugin
// answered (held.go): the gateway killed before that sends it again at
// its next start, under its txn. It reports whether the network took it.
func (s *session) chatCommand(ctx context.Context, st *wire.Stanza, cmd *pb.Command) bool {
	t := s.t
	var rec *heldRecord
	if read := t.takeRead(st); read != nil || cmd.TxnId != "" {
		// Not as a room's message: a replay reflects nothing.
		rec = s.newHeldRecord(st, cmd.ChatId, cmd.TxnId, parseUserMessage(st))
		rec.sending(ctx, cmd, read)
	}
	done := make(chan bool, 1)
	t.host.Send(cmd, func(res *pb.CommandResult) {
		if rec != nil {
			defer rec.done(ctx)
		}
		if res.Error != nil {
			t.send(ctx, wire.ErrorReply(st, conditionOf(res.Error.Code), res.Error.Text))
		} else {
			t.recordTxn(ctx, cmd.LoginId, cmd.TxnId)
		}
		done <- res.Error == nil
	})
	wait := time.NewTimer(chatCommandWait)
	defer wait.Stop()
	select {
	case ok := <-done:
		return ok
	case <-wait.C:
		// The chat's later stanzas wait no longer; a late refusal still
		// gets its error reply.
		t.log.Warn("a chat command not answered in time", "user", s.user, "chat", cmd.ChatId)
		return false
	case <-ctx.Done():
		return false
	}
}

// replyCommand runs a chat command that names the message it replies to
// (a pin, a poll's close): refused, naming what the network does not let
// the gateway do (cannot), when the login has it not; answered with
// usage when it replies to nothing. action is its command for the
// message; the login, chat and txn are filled in.
func (s *session) replyCommand(ctx context.Context, st *wire.Stanza, chatID, txn, replyTo string, has bool, cannot, usage string, action func(store.MessageRef) *pb.Command) {
	t := s.t
	if !has {
		t.send(ctx, wire.ErrorReply(st, wire.FeatureNotImpl, t.displayName()+" does not let the gateway "+cannot))
		return
	}
	if replyTo == "" {
		t.send(ctx, wire.ErrorReply(st, wire.BadRequest, usage))
		return
	}
	if ref, ok := s.repliedTo(ctx, st, chatID, replyTo); ok {
		cmd := action(ref)
		cmd.LoginId, cmd.ChatId, cmd.TxnId = s.LoginID(), chatID, txn
		s.chatCommand(ctx, st, cmd)
	}
}

// repliedTo finds the message a chat command sent in reply to it (a
// vote, a pin) names; the user hears when the gateway does not know it.
func (s *session) repliedTo(ctx context.Context, st *wire.Stanza, chatID, replyTo string) (store.MessageRef, bool) {
	ref, err := s.t.lookupXMPP(ctx, s.LoginID(), chatID, replyTo)
	if err != nil {
		s.t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "the message replied to is not known to the gateway"))
		return ref, false
	}
	return ref, true
}

// chatCommandWait bounds how long a chat command holds its chat.
const chatCommandWait = 30 * time.Second
