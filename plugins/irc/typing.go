package irc

import (
	"context"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Typing notifications are IRCv3's client tag +typing
// (https://ircv3.net/specs/client-tags/typing), carried by a TAGMSG:
// active (typing), paused (stopped, with text still written), done (the
// text sent or cleared). Servers relay TAGMSG only between clients with
// message-tags.

// typingMax bounds the targets whose typing state is kept: past it, the
// state is forgotten (at worst one active too many, or a done not sent,
// which receivers make up for by timing typing out).
const typingMax = 256

// activeValidMs is how long a +typing=active holds without another
// (TypingEvent.timeout_ms): the spec's receivers assume the sender
// stopped typing 6 s after it.
const activeValidMs = 6000

// typed is what the user last told a target about their typing.
type typed struct {
	target string    // as sent to
	sent   string    // the last value sent
	active time.Time // when active was last sent (zero: not since the last message)
	// composing is when the user last said they were composing (zero:
	// they are not), and repeat the timer that says active again while
	// they are (nil: none), at most TypingTimeout after it.
	composing time.Time
	repeat    *repeater
}

// repeater is a target's repeat timer. Its func is given the repeater,
// made before the timer, so that it can tell whether it is still the
// target's; key is the target's (folded), which a nick change moves.
// Both fields are written and read under Session.mu.
type repeater struct {
	timer *time.Timer
	key   string
}

// stop ends t's repeats.
func (t *typed) stop() {
	if t.repeat != nil {
		t.repeat.timer.Stop()
		t.repeat = nil
	}
	t.composing = time.Time{}
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

// typingPace is the transport's TypingRepeat and TypingTimeout, or
// their defaults where unset.
func (s *Session) typingPace() (every, timeout time.Duration) {
	every, timeout = time.Duration(s.n.cfg.TypingRepeat), time.Duration(s.n.cfg.TypingTimeout)
	if every <= 0 {
		every = DefaultTypingRepeat
	}
	if timeout <= 0 {
		timeout = DefaultTypingTimeout
	}
	return every, timeout
}

// SetTyping tells the chat's other side (the nick, or the channel)
// whether the user is typing, with a TAGMSG tagged +typing. Typing is
// best effort: on a server without message-tags (which would not relay
// a TAGMSG) it does nothing. An active within TypingRepeat (3 s) of the
// last one to the same target is not sent, as the spec asks, unless a
// done or a message came between (they end the typing for the
// receivers: the next active starts anew); a done is sent only after an
// active or paused that no message ended (XMPP clients say they are
// active with every message).
//
// XMPP clients say composing once, while receivers drop an active after
// 6 s without another: while the user's state stays composing, active
// is said again every TypingRepeat, until another state, a message to
// the target, leaving the channel or the connection's end; and at most
// TypingTimeout after the last composing, when paused goes instead
// (XEP-0085's client pauses after 30 s without input).
func (s *Session) SetTyping(_ context.Context, c sdk.Call, state pb.TypingState) error {
	conn, err := s.online()
	if err != nil {
		return err
	}
	s.mu.Lock()
	tags := s.caps["message-tags"]
	s.mu.Unlock()
	if !tags || c.ChatID == s.acc.serverChatID() {
		return nil // the server's chat takes commands, no typing
	}
	target, err := s.target(c.ChatID)
	if err != nil {
		return err
	}
	value := typingTag(state)
	// typeMu keeps this TAGMSG and a repeat's in the order decided.
	s.typeMu.Lock()
	defer s.typeMu.Unlock()
	if !s.noteTyping(target, value, time.Now()) {
		return nil
	}
	if err := s.sendTyping(conn, target, value); err != nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "typing not sent to %s: %v", target, err)
	}
	return nil
}

// sendTyping sends a TAGMSG of typing (value) to target. Its refusal (a
// 404 of a channel that takes no TAGMSG from the user, a 401 of a nick
// gone) is no message's (refusals.go): where the server echoes, the
// TAGMSG waits among the user's lines for its echo or its refusal; else
// it goes between two PINGs of its own, a window. Either way its
// refusal is its own answer, and dropped: typing is best effort.
func (s *Session) sendTyping(conn *ircevent.Connection, target, value string) error {
	return s.sendTagmsg(conn, target, map[string]string{"+typing": value})
}

// sendTagmsg sends a TAGMSG with tags to target, its refusal dropped
// as sendTyping says (a reaction's too).
func (s *Session) sendTagmsg(conn *ircevent.Connection, target string, tags map[string]string) error {
	msg := ircmsg.MakeMessage(tags, "", "TAGMSG", target)
	if !s.echoing() {
		return s.sendInWindow(conn, s.newWindow(""), msg)
	}
	s.wireMu.Lock()
	defer s.wireMu.Unlock()
	s.mu.Lock()
	e := s.tagEcho(target, tags)
	s.echoes = append(s.echoes, e)
	s.mu.Unlock()
	if err := conn.SendIRCMessage(msg); err != nil {
		s.dropEcho(e)
		return err
	}
	s.forgetLate([]*echo{e})
	return nil
}

// noteTyping records that value is about to be told to target at now,
// and reports whether it is to be sent at all (see SetTyping). An active
// starts (or goes on with) the target's repeats; anything else ends
// them.
func (s *Session) noteTyping(target, value string, now time.Time) bool {
	t := s.fold(target)
	every, _ := s.typingPace()
	s.mu.Lock()
	defer s.mu.Unlock()
	last, known := s.typing[t]
	last.target = target
	send := true
	switch value {
	case "active":
		if known && !last.active.IsZero() && now.Sub(last.active) < every {
			send = false
		} else {
			last.active = now
		}
		last.composing = now
		if last.repeat == nil {
			// The next active is due every after the last one.
			r := &repeater{key: t}
			r.timer = time.AfterFunc(every-now.Sub(last.active), func() { s.repeatTyping(r) })
			last.repeat = r
		}
	case "paused":
		last.stop()
		send = last.sent != "paused" // the repeats' end said it already
	default: // done
		last.stop()
		delete(s.typing, t)
		return known
	}
	if !known && len(s.typing) >= typingMax {
		s.clearTypingLocked()
	}
	if send {
		last.sent = value
	}
	s.typing[t] = last
	return send
}

// repeatTyping says active again to the target of repeater r while the
// user's state is composing; TypingTimeout after the last composing it
// says paused, and stops.
func (s *Session) repeatTyping(r *repeater) {
	every, timeout := s.typingPace()
	s.typeMu.Lock()
	defer s.typeMu.Unlock()
	s.mu.Lock()
	t := r.key
	last, ok := s.typing[t]
	if !ok || last.repeat != r {
		s.mu.Unlock()
		return // stopped meanwhile (or replaced)
	}
	conn := s.conn
	if conn == nil || !conn.Connected() {
		// Disconnect, or the connection dropped (whose callback ends
		// the repeats too): nothing goes on it.
		last.stop()
		delete(s.typing, t)
		s.mu.Unlock()
		return
	}
	now, value := time.Now(), "active"
	if now.Sub(last.composing) >= timeout {
		value = "paused"
		last.stop()
	} else {
		last.active = now
		r.timer.Reset(every)
	}
	last.sent = value
	s.typing[t] = last
	s.mu.Unlock()
	if err := s.sendTyping(conn, last.target, value); err != nil {
		s.n.host.Logger().Debug("irc: typing not repeated", "login", s.loginID, "target", last.target, "err", err)
	}
}

// typingEnded forgets the typing told to target, and ends its repeats:
// a message to it ends typing for its receivers, so the next active goes
// at once, and no done follows. So does leaving a channel.
func (s *Session) typingEnded(target string) {
	s.typeMu.Lock()
	defer s.typeMu.Unlock()
	t := s.fold(target)
	s.mu.Lock()
	defer s.mu.Unlock()
	if last, ok := s.typing[t]; ok {
		last.stop()
		delete(s.typing, t)
	}
}

// typingRenamedLocked moves what the user told the nick old about their
// typing to its new nick, now: the repeats go on to the new nick (the
// chat is the same, by the member's ID).
func (s *Session) typingRenamedLocked(old, now string) {
	o, n := s.fold(old), s.fold(now)
	last, ok := s.typing[o]
	if !ok {
		return
	}
	delete(s.typing, o)
	if prev, ok := s.typing[n]; ok && o != n {
		prev.stop() // told to someone who had the nick before
	}
	last.target = now
	if last.repeat != nil {
		last.repeat.key = n
	}
	s.typing[n] = last
}

// clearTypingLocked forgets all typing, and ends every repeat: the
// connection ended (nothing is sent on it), or there are too many
// targets.
func (s *Session) clearTypingLocked() {
	for t, last := range s.typing {
		last.stop()
		delete(s.typing, t)
	}
}

// typingRepeats is how many targets have typing repeats going (tests).
func (s *Session) typingRepeats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, last := range s.typing {
		if last.repeat != nil {
			n++
		}
	}
	return n
}

// onTagmsg turns a TAGMSG tagged +typing from someone else, in a
// channel or to the user, into a typing event. The user's own (the
// server's echo, or another client of theirs) and the server's are not
// shown; nor is a +typing on a message (PRIVMSG), which the spec says is
// no notification. A reaction of the user's that echoes none of the
// plugin's TAGMSGs is one made on another client of theirs (a bouncer
// relays it), shown as the user's.
func (s *Session) onTagmsg(m ircmsg.Message) {
	ok, value := m.GetTag("+typing")
	if len(m.Params) >= 1 && s.isSelf(m.Nick()) {
		reaction := isReaction(m)
		if !s.tagEchoed(m, reaction) && reaction && strings.Contains(m.Source, "!") {
			s.onReaction(m)
		}
		return
	}
	if len(m.Params) < 1 || !strings.Contains(m.Source, "!") {
		return
	}
	if !ok {
		s.onReaction(m)
		return
	}
	typing := &pb.TypingEvent{}
	switch value {
	case "active":
		// The spec: receivers drop an active after 6 s without another
		// (the sender repeats it every 3 s while typing).
		typing.State, typing.TimeoutMs = pb.TypingState_TYPING_STATE_COMPOSING, activeValidMs
	case "paused":
		// The spec's receivers drop it after 30 s, to not typing; the
		// gateway shows paused until the next state (no timeout_ms:
		// it is for composing).
		typing.State = pb.TypingState_TYPING_STATE_PAUSED
	case "done":
		typing.State = pb.TypingState_TYPING_STATE_ACTIVE
	default:
		return // not in the spec
	}
	ev := &pb.Event{LoginId: s.loginID, TimestampUnixMicro: serverTime(m).UnixMicro(), Sender: s.sender(m.Nick()),
		Payload: &pb.Event_Typing{Typing: typing}}
	switch target := m.Params[0]; {
	case isChannel(target):
		ev.ChatId, ev.ChatType = s.chanID(target), pb.ChatType_CHAT_TYPE_GROUP
	case s.isSelf(target):
		ev.ChatId, ev.ChatType = ev.Sender.UserId, pb.ChatType_CHAT_TYPE_DIRECT
	default:
		return // to a channel's operators (@#chan), or not to us
	}
	s.n.host.Emit(ev)
}
