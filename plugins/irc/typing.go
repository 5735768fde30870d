package irc

import (
	"context"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Typing notifications are IRCv3's client tag +typing
// (https://ircv3.net/specs/client-tags/typing), carried by a TAGMSG:
// active (typing), paused (stopped, with text still written), done (the
// text sent or cleared). Servers relay TAGMSG only between clients with
// message-tags.

// typingEvery is the spec's pace: a client sends active at most once
// every 3 seconds to a target.
const typingEvery = 3 * time.Second

// typingMax bounds the targets whose typing state is kept: past it, the
// state is forgotten (at worst one active too many, or a done not sent,
// which receivers make up for by timing typing out).
const typingMax = 256

// typed is what the user last told a target about their typing.
type typed struct {
	active time.Time // when active was last sent (zero: not since the last message)
}

var _ sdk.Typer = (*Session)(nil)

// typingTag is the +typing value of a chat state: COMPOSING is active,
// PAUSED paused, the rest (ACTIVE, INACTIVE, GONE: not typing) done.
func typingTag(st pb.TypingState) string {
	switch st {
	case pb.TypingState_TYPING_STATE_COMPOSING:
		return "active"
	case pb.TypingState_TYPING_STATE_PAUSED:
		return "paused"
	}
	return "done"
}

// SetTyping tells the chat's other side (the nick, or the channel)
// whether the user is typing, with a TAGMSG tagged +typing. Typing is
// best effort: on a server without message-tags (which would not relay
// a TAGMSG) it does nothing. An active within 3 s of the last one to the
// same target is not sent, as the spec asks, unless a done or a message
// came between (they end the typing for the receivers: the next active
// starts anew); a done is sent only after an active or paused that no
// message ended (XMPP clients say they are active with every message).
func (s *Session) SetTyping(_ context.Context, c sdk.Call, state pb.TypingState) error {
	conn, err := s.online()
	if err != nil {
		return err
	}
	s.mu.Lock()
	tags := s.caps["message-tags"]
	s.mu.Unlock()
	if !tags {
		return nil
	}
	target, err := s.target(c.ChatID)
	if err != nil {
		return err
	}
	value := typingTag(state)
	if !s.noteTyping(target, value, time.Now()) {
		return nil
	}
	if err := conn.SendWithTags(map[string]string{"+typing": value}, "TAGMSG", target); err != nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "typing not sent to %s: %v", target, err)
	}
	return nil
}

// noteTyping records that value is about to be told to target at now,
// and reports whether it is to be sent at all (see SetTyping).
func (s *Session) noteTyping(target, value string, now time.Time) bool {
	t := foldName(target)
	s.mu.Lock()
	defer s.mu.Unlock()
	last, known := s.typing[t]
	switch value {
	case "active":
		if known && !last.active.IsZero() && now.Sub(last.active) < typingEvery {
			return false
		}
		last.active = now
	case "paused":
	default: // done
		delete(s.typing, t)
		return known
	}
	if !known && len(s.typing) >= typingMax {
		clear(s.typing)
	}
	s.typing[t] = last
	return true
}

// typingEnded forgets the typing told to target: a message to it ends
// typing for its receivers, so the next active goes at once, and no
// done follows.
func (s *Session) typingEnded(target string) {
	s.mu.Lock()
	delete(s.typing, foldName(target))
	s.mu.Unlock()
}

// onTagmsg turns a TAGMSG tagged +typing from someone else, in a
// channel or to the user, into a typing event. The user's own (the
// server's echo, or another client of theirs) and the server's are not
// shown; nor is a +typing on a message (PRIVMSG), which the spec says is
// no notification.
func (s *Session) onTagmsg(m ircmsg.Message) {
	ok, value := m.GetTag("+typing")
	if !ok || len(m.Params) < 1 || !strings.Contains(m.Source, "!") || s.isSelf(m.Nick()) {
		return
	}
	var st pb.TypingState
	switch value {
	case "active":
		st = pb.TypingState_TYPING_STATE_COMPOSING
	case "paused":
		st = pb.TypingState_TYPING_STATE_PAUSED
	case "done":
		st = pb.TypingState_TYPING_STATE_ACTIVE
	default:
		return // not in the spec
	}
	ev := &pb.Event{LoginId: s.loginID, TimestampUnixMicro: serverTime(m).UnixMicro(), Sender: s.sender(m.Nick()),
		Payload: &pb.Event_Typing{Typing: &pb.TypingEvent{State: st}}}
	switch target := m.Params[0]; {
	case isChannel(target):
		ev.ChatId, ev.ChatType = chanID(target), pb.ChatType_CHAT_TYPE_GROUP
	case s.isSelf(target):
		ev.ChatId, ev.ChatType = ev.Sender.UserId, pb.ChatType_CHAT_TYPE_DIRECT
	default:
		return // to a channel's operators (@#chan), or not to us
	}
	s.n.host.Emit(ev)
}
