package irc

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Away, both ways. The user's XMPP availability is their IRC away state
// (AWAY :message, AWAY to come back), which servers show to whoever
// writes to them (301) and in WHOIS; a server forgets it with the
// connection, so each welcome sets it again. Others' away states come
// with IRCv3 away-notify as presences of their nicks, offline once they
// quit or the connection drops.

var _ sdk.PresenceSetter = (*Session)(nil)

// maxAway bounds the away message sent: servers cut it to their AWAYLEN
// (200 to 390) anyway, and a status of any length must fit a line.
const maxAway = 300

// awayMessage is the AWAY message for the user's presence p: "" for
// available; ok is false for a presence that says nothing (unknown).
func awayMessage(p *pb.Presence) (msg string, ok bool) {
	status := strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r < 0x20 {
			return ' ' // line breaks, NUL, formatting codes
		}
		return r
	}, p.GetStatus())), " ")
	if len(status) > maxAway {
		cut := maxAway
		for cut > 0 && !utf8.RuneStart(status[cut]) {
			cut--
		}
		status = status[:cut]
	}
	def := ""
	switch p.GetShow() {
	case pb.PresenceShow_PRESENCE_SHOW_AVAILABLE, pb.PresenceShow_PRESENCE_SHOW_CHAT:
		return "", true
	case pb.PresenceShow_PRESENCE_SHOW_AWAY, pb.PresenceShow_PRESENCE_SHOW_XA:
		def = "Away"
	case pb.PresenceShow_PRESENCE_SHOW_DND:
		def = "Busy"
	case pb.PresenceShow_PRESENCE_SHOW_OFFLINE:
		// No XMPP client of the user's is there to read: those who
		// write are told, as a bouncer's auto-away does.
		def = "Offline"
	default:
		return "", false
	}
	if status == "" {
		return def, true
	}
	return status, true
}

// SetPresence makes the user's XMPP availability their away state on
// the server (sdk.PresenceSetter): away, extended away, do not disturb
// and offline are AWAY with the status (or a word for it), available
// is no AWAY. Kept for the next connections; while disconnected it
// waits for the next welcome, and is no error.
func (s *Session) SetPresence(ctx context.Context, p *pb.Presence) error {
	msg, ok := awayMessage(p)
	if !ok {
		return nil
	}
	// A status the server's encoding cannot carry would reach others
	// with "?" for its characters: the user is away all the same, with
	// the word for their state, and told why.
	var refused error
	if err := s.carries("the away message", msg); err != nil {
		refused = err
		msg, _ = awayMessage(&pb.Presence{Show: p.GetShow()})
	}
	s.mu.Lock()
	s.away = msg
	s.mu.Unlock()
	conn, err := s.online()
	if err != nil {
		return refused // the welcome sends it (registered)
	}
	// One line among the user's, at their pace (counted among those
	// queued, as a message's line is: pace.go).
	s.lines.admit(1, pasteTime)
	err = s.lines.wait(ctx)
	s.lines.sent(1)
	if err != nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "away state not sent: %v", err)
	}
	s.sendAway(conn)
	return refused
}

// sendAway tells the server the user's away state where it does not
// have it yet on conn: the latest wanted, so that presences set at
// once end in the last one whatever order their lines went in.
func (s *Session) sendAway(conn *ircevent.Connection) {
	s.mu.Lock()
	if s.conn != conn || s.away == s.awaySent {
		s.mu.Unlock()
		return
	}
	msg := s.away
	s.awaySent = msg
	s.mu.Unlock()
	var err error
	if msg == "" {
		err = conn.Send("AWAY")
	} else {
		err = conn.Send("AWAY", msg)
	}
	if err != nil {
		s.n.host.Logger().Warn("irc: away state not sent", "login", s.loginID, "err", err)
	}
}

// onAway shows another's away state (IRCv3 away-notify: ":nick!u@h AWAY
// :message", or no message when they are back) as the presence of
// their nick.
func (s *Session) onAway(m ircmsg.Message) {
	nick := m.Nick()
	if !strings.Contains(m.Source, "!") || s.isSelf(nick) {
		return
	}
	p := &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}
	if msg := plainText(param(m, 0)); len(m.Params) > 0 && msg != "" {
		p = &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AWAY, Status: msg}
	}
	sender := s.sender(nick)
	if sender.UserId == "" {
		return // a server's name: no one's presence
	}
	s.mu.Lock()
	s.presences[sender.UserId] = p.Status
	s.mu.Unlock()
	s.presence(sender, serverTime(m), p)
}

// onRplAway shows the away state the server tells with its 301
// (RPL_AWAY: "301 me nick :message") answering the user's message to
// nick, as the presence of their nick, away with that message: on a
// server without away-notify (ngircd) it is the one word of it. The
// same message again shows nothing new. A send to the nick that the
// server answers without it (confirmSent) makes them available again.
func (s *Session) onRplAway(m ircmsg.Message) {
	if len(m.Params) < 3 || isChannel(m.Params[1]) {
		return
	}
	nick, status := m.Params[1], plainText(m.Params[2])
	if status == "" {
		status = "Away"
	}
	s.mu.Lock()
	if s.isSelfLocked(nick) {
		s.mu.Unlock()
		return
	}
	target := s.fold(nick)
	for _, w := range s.sendWaits {
		if w.target == target {
			w.away = true
		}
	}
	id := s.people.id(nick)
	shown, known := s.presences[id]
	s.presences[id] = status
	s.mu.Unlock()
	if known && shown == status {
		return
	}
	s.presence(&pb.Sender{UserId: id, Name: decodeText(nick)}, serverTime(m),
		&pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AWAY, Status: status})
}

// backUnlessAway makes available again the nick of a send to a nick
// that the server answered without a 301, where it showed them away:
// their away state is over.
func (s *Session) backUnlessAway(w *sendWait, nick string) {
	s.mu.Lock()
	if w.away || w.dropped || w.refused || isChannel(nick) || s.isSelfLocked(nick) {
		s.mu.Unlock()
		return
	}
	id := s.people.id(nick)
	shown := s.presences[id]
	if shown != "" {
		s.presences[id] = ""
	}
	s.mu.Unlock()
	if shown != "" {
		s.presence(&pb.Sender{UserId: id, Name: decodeText(nick)}, time.Now(), &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE})
	}
}

// presence emits the presence p of sender.
func (s *Session) presence(sender *pb.Sender, at time.Time, p *pb.Presence) {
	s.n.host.Emit(&pb.Event{LoginId: s.loginID, ChatId: sender.UserId, ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
		TimestampUnixMicro: at.UnixMicro(), Sender: sender,
		Payload: &pb.Event_Presence{Presence: &pb.PresenceEvent{Presence: p}}})
}

// quitPresence makes offline the presence of someone who quit, where
// their away state gave them one: else they would stay shown away, or
// here, for good.
func (s *Session) quitPresence(m ircmsg.Message) {
	nick := m.Nick()
	s.mu.Lock()
	id, ok := s.people.byNick[s.fold(nick)]
	_, had := s.presences[id]
	shown := ok && had && !s.isSelfLocked(nick)
	delete(s.presences, id)
	s.mu.Unlock()
	if shown {
		s.presence(&pb.Sender{UserId: id, Name: decodeText(nick)}, serverTime(m), &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_OFFLINE})
	}
}

// presencesGoneLocked makes offline the presences the connection that
// dropped gave (their IDs are its own); it returns the events to emit.
func (s *Session) presencesGoneLocked() []*pb.Event {
	var evs []*pb.Event
	for id := range s.presences {
		evs = append(evs, &pb.Event{LoginId: s.loginID, ChatId: id, ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
			TimestampUnixMicro: time.Now().UnixMicro(), Sender: &pb.Sender{UserId: id},
			Payload: &pb.Event_Presence{Presence: &pb.PresenceEvent{Presence: &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_OFFLINE}}}})
	}
	clear(s.presences)
	return evs
}

// presenceEndedLocked ends the presence away-notify gave uid once they
// share no channel with the user (they left the last, or the user
// did): the server tells no more of their away state, which would stay
// shown for good. It returns the offline presence to emit, if any.
func (s *Session) presenceEndedLocked(uid, nick string) []*pb.Event {
	if _, shown := s.presences[uid]; !shown || uid == s.loginID || s.watchedOnLocked(nick) {
		return nil // a contact watched online is still on the network
	}
	for _, ch := range s.channels {
		if _, in := ch.members[uid]; in {
			return nil
		}
	}
	delete(s.presences, uid)
	return []*pb.Event{{LoginId: s.loginID, ChatId: uid, ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
		TimestampUnixMicro: time.Now().UnixMicro(), Sender: &pb.Sender{UserId: uid, Name: decodeText(nick)},
		Payload: &pb.Event_Presence{Presence: &pb.PresenceEvent{Presence: &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_OFFLINE}}}}}
}
