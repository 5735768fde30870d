package signal

import (
	"context"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/typingkeep"
)

// Signal's typing ends by silence: the apps say STARTED again every
// 10 s while the user types, and drop a contact's typing 15 s after
// the last one (Signal-Android's TypingStatusSender
// REFRESH_TYPING_TIMEOUT and TypingStatusRepository
// RECIPIENT_TYPING_TIMEOUT). XMPP clients say composing once, so the
// session says it again every typingRepeat, for at most typingHold after
// the user last said composing.
const (
	typingRepeat = 10 * time.Second
	typingHold   = 30 * time.Second
	// typingValidMs is how long a contact's STARTED holds without being
	// said again (TypingEvent.timeout_ms): 15 s, as above.
	typingValidMs = 15000
)

// typingKeeper is the session's repeater of the user's typing.
func (s *Session) typingKeeper() *typingkeep.Keeper {
	return s.repeats.Get(typingRepeat, typingHold, func(ctx context.Context, chat string) error {
		p, err := s.target(chat)
		if err != nil {
			return err
		}
		return s.sendTyping(ctx, p)
	})
}

// TypingWait bounds a typing notification's wait for signal-cli's
// answer. Typing said late is worth nothing, and a chat's commands wait
// for it: with signal-cli down it is not waited for at all (commands
// wait up to SendWait), with signal-cli hung this long at most.
var TypingWait = 3 * time.Second

// sendTyping says the user's typing (p: sendTyping's target and stop)
// unless signal-cli is down, giving up after TypingWait.
func (s *Session) sendTyping(ctx context.Context, p map[string]any) error {
	ctx, cancel := context.WithTimeout(ctx, TypingWait)
	defer cancel()
	const what = "could not send typing"
	return s.mapError(what, s.callRawWaiting(ctx, what, 0, "sendTyping", p, nil))
}

// SetTyping says the user is typing, or stopped; while they type, it is
// said again until they stop, send a message there, leave the group or
// the login disconnects (or typingHold after their last composing).
func (s *Session) SetTyping(ctx context.Context, c sdk.Call, state pb.TypingState) error {
	p, err := s.target(c.ChatID)
	if err != nil {
		return err
	}
	if s.isSelfChat(c.ChatID) {
		// No one reads it: Signal's apps say no typing in Note to Self,
		// and signal-cli would send it to the user's own phone.
		return nil
	}
	composing := state == pb.TypingState_TYPING_STATE_COMPOSING
	if !composing {
		s.typingKeeper().Stop(c.ChatID)
	}
	s.mu.Lock()
	was := s.typing[c.ChatID]
	s.mu.Unlock()
	if !composing && !was {
		return nil // nothing started: XMPP clients say "active" with every message
	}
	if !composing {
		p["stop"] = true
	}
	if composing && s.requestPending(ctx, c.ChatID) {
		return nil // a message request not accepted: they are told nothing (messagerequest.go)
	}
	if err := s.sendTyping(ctx, p); err != nil {
		return err
	}
	s.mu.Lock()
	if composing {
		s.typing[c.ChatID] = true
	} else {
		delete(s.typing, c.ChatID)
	}
	s.mu.Unlock()
	if composing {
		s.typingKeeper().Composing(c.ChatID)
	}
	return nil
}

// endTyping ends the repeats of the user's typing in chat: a message
// sent there ends typing for the receivers, who need no STOPPED.
func (s *Session) endTyping(chat string) {
	s.typingKeeper().Stop(chat)
	s.mu.Lock()
	delete(s.typing, chat)
	s.mu.Unlock()
}
