package signal

import (
	"context"
	"strconv"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A contact's safety number changes when they install Signal again or
// move to a new phone. signal-cli trusts a contact's first identity key
// and no later one (its default, trust on first use): it can then
// neither decrypt their messages nor send them any until the key is
// trusted. It writes each message it could not decrypt as an envelope
// of no content with an UntrustedIdentityException beside it, and keeps
// the message in its cache (for 14 days) to decrypt once the key is
// trusted, trying again when it next starts receiving. The user trusts
// it by verifying it on the phone, whose sync message signal-cli takes.
//
// The plugin tells the user once, in the contact's chat, until a
// message of theirs is read again: else their messages went missing
// without a word.

// untrustedType is the exception signal-cli writes beside such an
// envelope (JsonError's type: the exception's class).
const untrustedType = "UntrustedIdentityException"

// verifyHint says how to trust a changed safety number.
const verifyHint = "verify it on your phone (in the chat with them: their name, View safety number, Mark as verified)"

// untrustedIdentity tells the user, once until a message of the sender
// is read again, that a message of theirs could not be read because
// their safety number changed.
func (s *Session) untrustedIdentity(ctx context.Context, env envelope) {
	from := s.userID(ctx, env.SourceNumber, env.SourceUUID, env.SourceName)
	if from == "" {
		return
	}
	s.mu.Lock()
	told := s.untrusted[from]
	s.untrusted[from] = true
	s.mu.Unlock()
	if told {
		return
	}
	who := env.SourceName
	if who == "" {
		who = from
	}
	s.n.host.Logger().Warn("signal: a message could not be read: the sender's safety number changed and is not trusted", "login", s.loginID, "from", from)
	text := "⚠ " + who + "'s safety number changed (a new phone, or Signal installed again): their messages cannot be read here, " +
		"nor yours sent to them, until you " + verifyHint + ". What they send meanwhile is kept (up to 14 days) and comes once it is verified, at the latest when the gateway next connects to signal-cli."
	// An ID of its own: the message's, once read, comes under its own.
	s.emit(ctx, &pb.Event{ChatId: from, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, Sender: &pb.Sender{UserId: from, Name: env.SourceName},
		TimestampUnixMicro: env.Timestamp * 1000, EventId: "untrusted-" + strconv.FormatInt(env.Timestamp, 10) + "-" + from,
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}}, true)
}

// readFrom notes that a message of from was read: a later change of
// their safety number is told again.
func (s *Session) readFrom(from string) {
	s.mu.Lock()
	delete(s.untrusted, from)
	s.mu.Unlock()
}
