package irc

import (
	"context"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// NickWait is how long SetNick waits for the server's answer.
const NickWait = 10 * time.Second

// nickWait is a SetNick call waiting for the server.
type nickWait struct {
	nick   string
	answer chan error
}

// nickErrors are the server's refusals of a NICK.
var nickErrors = map[string]struct {
	code pb.ErrorCode
	why  string
}{
	ircevent.ERR_NONICKNAMEGIVEN:  {pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "no nick given"},
	ircevent.ERR_ERRONEUSNICKNAME: {pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "the server takes no such nick"},
	ircevent.ERR_NICKNAMEINUSE:    {pb.ErrorCode_ERROR_CODE_CONFLICT, "someone has that nick"},
	ircevent.ERR_NICKCOLLISION:    {pb.ErrorCode_ERROR_CODE_CONFLICT, "someone has that nick"},
	ircevent.ERR_UNAVAILRESOURCE:  {pb.ErrorCode_ERROR_CODE_CONFLICT, "the nick is temporarily unavailable"},
	ircevent.ERR_RESTRICTED:       {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "your connection may not change nicks"},
	// Solanum's (and charybdis') limit on nick changes.
	errNickTooFast: {pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "you changed nicks too often: wait a little"},
	// Solanum's: a channel the user is banned in holds their nick.
	errBanNickChange: {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you are banned in a channel you are in, which holds your nick"},
	// InspIRCd's and UnrealIRCd's: a channel with +N.
	errNoNickChange: {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "a channel you are in does not allow nick changes"},
}

// More refusals of a NICK: 438 (too many changes), 435 (banned in a
// channel) and 447 (a channel's +N), which names no nick
// ("447 me :Can not change nickname while on #chan (+N)").
const (
	errNickTooFast   = "438"
	errBanNickChange = "435"
	errNoNickChange  = "447"
)

// namesNoNick reports whether a NICK's refusal code names no nick: it
// answers the change waiting whatever its parameters.
func namesNoNick(code string) bool {
	return code == ircevent.ERR_NONICKNAMEGIVEN || code == errNoNickChange
}

// handleNick follows nick changes: a member's is a rename of the member,
// the user's (asked with SetNick, or made by the server) a rename of the
// user's own member in every channel.
func (s *Session) handleNick(c *ircevent.Connection) {
	s.on(c, "NICK", func(m ircmsg.Message) {
		if len(m.Params) < 1 || m.Params[0] == m.Nick() {
			return
		}
		old, now := m.Nick(), m.Params[0]
		s.mu.Lock()
		self := s.isSelfLocked(old)
		uid := s.loginID
		if self {
			s.self = now
			if s.fold(now) == s.fold(s.acc.Nick) {
				s.regain = regainNone // the nick is back
			}
		} else {
			uid = s.people.rename(old, now)
			s.typingRenamedLocked(old, now)
		}
		var renamed []*pb.Event
		for id, ch := range s.channels {
			mem := ch.members[uid]
			if mem == nil {
				continue
			}
			mem.nick = now
			if self {
				s.shown[id] = now
			}
			ev := &pb.Event{LoginId: s.loginID, ChatId: id, ChatType: pb.ChatType_CHAT_TYPE_GROUP, EventId: s.n.newID(),
				TimestampUnixMicro: serverTime(m).UnixMicro(), Sender: &pb.Sender{UserId: uid, Name: decodeText(now), IsFromMe: self},
				Payload: &pb.Event_Member{Member: &pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED, Member: s.pbMemberLocked(ch, uid, mem)}}}
			renamed = append(renamed, ev)
		}
		var wait *nickWait
		if self && s.nickWait != nil && s.fold(s.nickWait.nick) == s.fold(now) {
			wait, s.nickWait = s.nickWait, nil
		}
		elsewhere := self && wait == nil && renamedElsewhere(now, c.PreferredNick())
		// The login's nick back (its ghost gone after a reconnection):
		// an IDENTIFY sent under another nick identified nothing, so
		// it goes again (identify.go).
		again := self && s.fold(now) == s.fold(s.acc.Nick) && s.fold(s.idNick) != s.fold(now) && !s.identified
		s.mu.Unlock()
		if elsewhere {
			// irc-go asks for its preferred nick at each keepalive
			// PING while it has another: the nick it was given is
			// the preferred one now, for this connection (the NICK
			// that sends is a no-op; dial restores the login's).
			s.n.host.Logger().Info("irc: the nick was changed on the server, not by the plugin: not asked back on this connection",
				"login", s.loginID, "nick", now)
			c.SetNick(now)
		}
		if again {
			s.identify(c)
		}
		if !self {
			s.contactRenamed(old, now)
		}
		for _, ev := range renamed {
			s.n.host.Emit(ev)
		}
		if wait != nil {
			wait.answer <- nil
		}
	})
	s.on(c, ircevent.ERR_ERRONEUSNICKNAME, func(m ircmsg.Message) { s.nickRefusedEarly(c, m) })
	s.on(c, ircevent.ERR_NICKCOLLISION, func(m ircmsg.Message) { s.nickRefusedEarly(c, m) })
	for code := range nickErrors {
		s.on(c, code, func(m ircmsg.Message) {
			if len(m.Params) < 2 && !namesNoNick(code) {
				return
			}
			s.mu.Lock()
			wait := s.nickWait
			if wait == nil || (!namesNoNick(code) && s.fold(m.Params[1]) != s.fold(wait.nick)) {
				s.mu.Unlock()
				return // not our SetNick's (ircevent's own retries)
			}
			s.nickWait = nil
			s.mu.Unlock()
			e := nickErrors[code]
			wait.answer <- sdk.Errorf(e.code, "cannot take the nick %s: %s (the server says: %s)", wait.nick, e.why, lastParam(m))
		})
	}
}

// renamedElsewhere reports whether the user's nick changing to now,
// which the plugin did not ask for (no SetNick waits for it), was made
// on the server: services renaming an unidentified registered nick
// (Guest123), an operator's or services' forced change, another client
// of the user's bouncer. irc-go would ask for preferred, its nick, at
// each keepalive PING (every 2 minutes), so that services renamed it
// again, a rename in every channel each time, and the user's choice
// made elsewhere was undone. Its own NICK for preferred (the nick
// back after a ghost, REGAIN) is none; nor is a nick starting with a
// digit, which no one chooses: the UID servers give both sides of a
// nick collision (Solanum, InspIRCd), after which the nick is asked
// back.
func renamedElsewhere(now, preferred string) bool {
	return now != preferred && now != "" && (now[0] < '0' || now[0] > '9')
}

// nickRefusedEarly answers a nick refused before the server's welcome
// with another of the login's nick's length. irc-go answers a nick in
// use (433, 437) with nick_0, nick_1..., which on a server whose nicks
// are no longer than the user's (ngircd's default of 9, a 16-letter nick
// on Libera) is refused as too long (432): the registration then stalled
// until irc-go's timeout, at each attempt while the nick was taken (the
// user's ghost after a dropped connection). A collision (436) irc-go
// does not answer at all. The login's nick itself refused as erroneous
// ends the login's connection (nickRefused).
func (s *Session) nickRefusedEarly(c *ircevent.Connection, m ircmsg.Message) {
	if len(m.Params) < 2 || c.CurrentNick() != "" {
		return // welcomed: a SetNick's, answered there
	}
	preferred := c.PreferredNick()
	if m.Command == ircevent.ERR_ERRONEUSNICKNAME && s.fold(m.Params[1]) == s.fold(preferred) {
		s.nickRefused(c, lastParam(m))
		return
	}
	s.mu.Lock()
	n := 0
	if a := s.attempt; a != nil {
		n = a.alts
		a.alts++
	}
	s.mu.Unlock()
	_ = c.Send("NICK", altNick(preferred, n))
}

// nickRefused ends connection c, whose registration the server refused
// the login's nick as no nick at all (432: too long for it, a character
// it refuses, a nick reserved for services), saying said: bad
// credentials, the user logging in again with another nick. Each
// attempt would meet the same refusal, after irc-go's 30 s wait for a
// welcome. run's refused (first connection) and ircevent's Loop
// (reconnections) then end without another word.
func (s *Session) nickRefused(c *ircevent.Connection, said string) {
	s.mu.Lock()
	if s.attempt != nil {
		s.attempt.badNick = said
	}
	nick := s.acc.Nick
	s.mu.Unlock()
	s.giveUp(c)
	s.state(pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, fmt.Sprintf(
		"%s takes no nick %s (it says: %s): it is not tried again; log in again with another nick", s.acc.addr(), nick, said))
	s.isReady()
}

// altNick is the nth nick tried instead of nick: as long as it, its end
// replaced by "_" (n = 0), then "_1", "_2"..., so that a server takes it
// wherever it takes nick.
func altNick(nick string, n int) string {
	suffix := "_"
	if n > 0 {
		suffix += strconv.Itoa(n)
	}
	keep := max(len(nick)-len(suffix), 1)
	for keep > 1 && keep < len(nick) && !utf8.RuneStart(nick[keep]) {
		keep--
	}
	keep = min(keep, len(nick))
	alt := nick[:keep] + suffix
	if foldName(alt) == foldName(nick) {
		return altNick(nick, n+1) // nick ends with "_" already
	}
	return alt
}

// SetNick changes the user's nick on the server (sdk.NickSetter). IRC has
// one nick per server, so it changes in every channel, not only the one
// the call names. It returns once the server took it: the rename of the
// user's member in each channel came first. The new nick is the login's
// from then on, after reconnections and restarts too.
func (s *Session) SetNick(ctx context.Context, c sdk.Call, nick string) error {
	if !validNick(nick) {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%q is no IRC nick: one word, not starting with a digit, #, & or -", nick)
	}
	if err := s.carries("the nick", nick); err != nil {
		return err
	}
	conn, err := s.online()
	if err != nil {
		return err
	}
	if most, err := strconv.Atoi(conn.ISupport()["NICKLEN"]); err == nil && most > 0 && len(nick) > most {
		// Solanum cuts a longer nick to its NICKLEN without a word:
		// the change would come back as another nick, which no
		// SetNick waits for.
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%s takes nicks of at most %d characters, and %s has %d", s.acc.addr(), most, nick, len(nick))
	}
	s.mu.Lock()
	if s.self == nick {
		s.mu.Unlock()
		return nil
	}
	if s.nickWait != nil {
		s.mu.Unlock()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_CONFLICT, "a change to %s is under way", s.nickWait.nick)
	}
	w := &nickWait{nick: nick, answer: make(chan error, 1)}
	s.nickWait = w
	s.mu.Unlock()
	drop := func() {
		s.mu.Lock()
		if s.nickWait == w {
			s.nickWait = nil
		}
		s.mu.Unlock()
	}
	if err := conn.Send("NICK", nick); err != nil {
		drop()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "could not change the nick: %v", err)
	}
	t := time.NewTimer(NickWait)
	defer t.Stop()
	select {
	case err = <-w.answer:
	case <-t.C:
		drop()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s did not answer the change to %s within %v", s.acc.addr(), nick, NickWait)
	case <-ctx.Done():
		drop()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the change to %s was given up: %v", nick, ctx.Err())
	}
	if err != nil {
		return err
	}
	// ircevent keeps asking for its preferred nick when it has another:
	// the new one is preferred now (the NICK it sends again is a no-op).
	conn.SetNick(nick)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acc.Nick = nick
	return s.saveLocked()
}
