package irc

import (
	"regexp"
	"strings"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"
)

// A login whose nick was taken at connecting (most often its own ghost,
// after a dropped connection) gets another (nick_0). With a password
// for the nick's account (a SASL account, or a NickServ password), it
// asks NickServ for the nick back at once, once per connection:
// REGAIN (Atheme, OFTC's services), which kills the holder and gives
// the nick; where NickServ has no REGAIN (Anope names it RECOVER, with
// GHOST for it; ergo), GHOST, then NICK once NickServ says the ghost
// is gone. Without a password, and where services refuse, irc-go's own
// NICK for the login's nick, one at each keepalive PING (every 2
// minutes, KeepAlive), gets it back once the ghost timed out. A nick
// changed on the server after the welcome is not asked back
// (renamedElsewhere, nick.go).

// regain is where the asking for the nick back is on a connection.
type regain int

const (
	regainNone  regain = iota // not asked, or done
	regainAsked               // REGAIN sent
	regainGhost               // GHOST sent: NICK once the ghost is gone
)

// unknownCommand is NickServ's answer to a command it does not have:
// Atheme "Invalid command.", Anope "Unknown command REGAIN.", ergo
// "Unknown command".
var unknownCommand = regexp.MustCompile(`(?i)\b(unknown|invalid) command\b|\bis not a valid command\b`)

// ghostGone is NickServ's answer to a GHOST that freed the nick: Atheme
// "kit has been ghosted.", Anope "Ghost with your nick has been
// killed.", ergo "Client ... has been disconnected" / "...ghosted".
var ghostGone = regexp.MustCompile(`(?i)\bghosted\b|\bhas been (killed|disconnected)\b`)

// regainPassword is the password that proves the login owns its nick:
// the NickServ password, or the SASL account's; "" for none.
func (a Account) regainPassword() string {
	if a.NickServPassword != "" {
		return a.NickServPassword
	}
	return a.SASLPassword
}

// askNickBack asks NickServ for the login's nick at the welcome, where
// the server gave another and the login has a password for it.
func (s *Session) askNickBack(c *ircevent.Connection, nick string) {
	s.mu.Lock()
	wanted, pw := s.acc.Nick, s.acc.regainPassword()
	s.regain = regainNone
	if pw == "" || s.fold(nick) == s.fold(wanted) {
		s.mu.Unlock()
		return
	}
	s.regain = regainAsked
	s.mu.Unlock()
	s.toNickServ(c, "REGAIN "+wanted+" "+pw)
}

// toNickServ sends line to NickServ, its echo (echo-message) not shown:
// it holds a password. The server's answer is shown as its message
// (sendCommands): a network without NickServ answers 401, which the
// user, whose NickServ password then identifies nothing, reads. It
// reports whether the line went.
func (s *Session) toNickServ(c *ircevent.Connection, line string) bool {
	if err := s.sendCommands(c, []ircmsg.Message{ircmsg.MakeMessage(nil, "", "PRIVMSG", "NickServ", line)}, false, false); err != nil {
		verb, _, _ := strings.Cut(line, " ") // never the password
		s.n.host.Logger().Warn("irc: not sent to NickServ", "login", s.loginID, "command", verb, "err", err)
		return false
	}
	return true
}

// handleRegain follows NickServ's answers to the asking for the nick
// back: no REGAIN, GHOST instead; the ghost gone, NICK. The nick given
// back (REGAIN) or taken (NICK) ends it, as handleNick sees.
func (s *Session) handleRegain(c *ircevent.Connection) {
	s.on(c, "NOTICE", func(m ircmsg.Message) {
		if s.fold(m.Nick()) != "nickserv" || !strings.Contains(m.Source, "!") {
			return
		}
		text := plainText(lastParam(m))
		s.mu.Lock()
		state, wanted, pw := s.regain, s.acc.Nick, s.acc.regainPassword()
		switch {
		case state == regainAsked && unknownCommand.MatchString(text):
			s.regain = regainGhost
			s.mu.Unlock()
			s.toNickServ(c, "GHOST "+wanted+" "+pw)
		case state == regainGhost && ghostGone.MatchString(text):
			s.regain = regainNone
			s.mu.Unlock()
			if err := c.Send("NICK", wanted); err != nil {
				s.n.host.Logger().Warn("irc: the login's nick not asked back", "login", s.loginID, "err", err)
			}
		default:
			s.mu.Unlock()
		}
	})
}
