package irc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"
)

// A reconnection's connection can end during IRC registration: after
// the TCP (and TLS) connection, before the server's welcome. A K-line's
// ERROR, a server password or SASL account refused, a nick the server
// will not give, a server that hangs up without a word or never finishes.
// ircevent's Loop only logs why its Connect failed; each attempt keeps
// here what the server said meanwhile and how the connection ended, and
// the next attempt (dial, before its wait) tells the user in the login's
// state. Most such ends are tried again; a SASL account or server
// password refused or a ban ends the login's connection instead
// (accountRefused, passwordRefused, bannedLogin).

// attempt is one connection attempt that reached the server.
type attempt struct {
	conn       *watchedConn
	quiet      *quietConn // under conn: reads a 422 of the plugin's (motdless.go)
	registered bool       // the server welcomed it: its end is no failure of registration
	said       []string   // what the server said that may explain its end
	// saslRefused: the server refused the SASL account (904, 902);
	// sasl is its words. ircevent answers a refusal with QUIT, and the
	// server's close may reach its Connect first, which then says only
	// "Disconnected by server".
	saslRefused bool
	sasl        string
	// saslAborted is the server's words when it aborted the SASL
	// login (906: Solanum's answer while its SASL service is gone).
	saslAborted string
	// saslMechs are the SASL mechanisms the server said it takes (908,
	// before its 904 to a mechanism it does not take).
	saslMechs string
	// badNick is the server's words when it refused the login's nick
	// as no nick at all (432) before its welcome.
	badNick string
	// banned: the server refused the login with a ban (banned below).
	banned bool
	// passRefused is the server's words when it refused the server
	// password, or its absence (464), before its welcome.
	passRefused string
	// held: the server refused the login's nick at registration as
	// held for now (437: IRCnet's nick delay after a netsplit), not in
	// use.
	held bool
	// alts counts the nicks of the login's length tried instead of a
	// refused one (nick.go, altNick).
	alts int
	// withoutTLS says the attempt is on a port without TLS that the
	// login lists for when no TLS port can be reached, and why none
	// could (backoff.go, connect).
	withoutTLS string
}

// maxSaid bounds what an attempt keeps of the server's words.
const maxSaid = 4

// handleRegistration notes the server's words that can explain the end
// of an attempt during registration.
func (s *Session) handleRegistration(c *ircevent.Connection) {
	param := func(m ircmsg.Message, i int) string {
		if i < len(m.Params) {
			return m.Params[i]
		}
		return ""
	}
	notes := map[string]func(m ircmsg.Message) string{
		"ERROR":                       func(m ircmsg.Message) string { return fmt.Sprintf("it said %q", lastParam(m)) },
		ircevent.ERR_ERRONEUSNICKNAME: func(m ircmsg.Message) string { return "it takes no nick " + param(m, 1) },
		ircevent.ERR_NICKNAMEINUSE:    func(m ircmsg.Message) string { return "the nick " + param(m, 1) + " is in use" },
		ircevent.ERR_NICKCOLLISION:    func(m ircmsg.Message) string { return "the nick " + param(m, 1) + " collided" },
		ircevent.ERR_UNAVAILRESOURCE:  func(m ircmsg.Message) string { return "the nick " + param(m, 1) + " is unavailable for now" },
		ircevent.ERR_PASSWDMISMATCH:   func(m ircmsg.Message) string { return fmt.Sprintf("it refused the password (%q)", lastParam(m)) },
		ircevent.ERR_YOUREBANNEDCREEP: func(m ircmsg.Message) string { return fmt.Sprintf("you are banned from it (%q)", lastParam(m)) },
		ircevent.ERR_YOUWILLBEBANNED:  func(m ircmsg.Message) string { return fmt.Sprintf("it is banning you (%q)", lastParam(m)) },
		ircevent.ERR_NOPERMFORHOST:    func(m ircmsg.Message) string { return fmt.Sprintf("it does not let your host in (%q)", lastParam(m)) },
		"902":                         func(m ircmsg.Message) string { return fmt.Sprintf("it refused the SASL account (%q)", lastParam(m)) },
		"904":                         func(m ircmsg.Message) string { return fmt.Sprintf("it refused the SASL account (%q)", lastParam(m)) },
	}
	s.on(c, ircevent.ERR_UNAVAILRESOURCE, func(m ircmsg.Message) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if a := s.attempt; a != nil && !a.registered && len(m.Params) >= 2 && s.fold(m.Params[1]) == s.fold(s.acc.Nick) {
			a.held = true
		}
	})
	for code, note := range notes {
		s.on(c, code, func(m ircmsg.Message) { s.noteSaid(note(m)) })
	}
	saslRefused := func(m ircmsg.Message) {
		s.mu.Lock()
		if a := s.attempt; a != nil && !a.registered {
			a.saslRefused, a.sasl = true, saslWords(m, "SASL authentication failed")
		}
		s.mu.Unlock()
	}
	s.on(c, "906", func(m ircmsg.Message) { // ERR_SASLABORTED
		s.mu.Lock()
		a := s.attempt
		if a == nil || a.registered || a.saslRefused {
			s.mu.Unlock()
			return
		}
		a.saslAborted = saslWords(m, "SASL authentication aborted")
		s.mu.Unlock()
		// ircevent does not read 906: it would wait 15 s more for an
		// answer that is not coming. The attempt ends now instead.
		a.conn.Close()
	})
	s.on(c, "908", func(m ircmsg.Message) { // RPL_SASLMECHS
		if len(m.Params) < 2 {
			return
		}
		s.mu.Lock()
		if s.attempt != nil {
			s.attempt.saslMechs = m.Params[1]
		}
		s.mu.Unlock()
	})
	s.on(c, ircevent.ERR_PASSWDMISMATCH, func(m ircmsg.Message) {
		s.mu.Lock()
		if a := s.attempt; a != nil && !a.registered {
			a.passRefused = plainText(lastParam(m))
		}
		s.mu.Unlock()
	})
	s.on(c, "904", saslRefused) // ERR_SASLFAIL
	s.on(c, "902", saslRefused) // ERR_NICKLOCKED
	for _, code := range []string{ircevent.ERR_YOUREBANNEDCREEP, ircevent.ERR_YOUWILLBEBANNED, ircevent.ERR_NOPERMFORHOST} {
		s.on(c, code, func(ircmsg.Message) { s.noteBan() })
	}
	s.on(c, "ERROR", func(m ircmsg.Message) {
		if banned(lastParam(m)) {
			s.noteBan()
		}
	})
}

// saslWords are the server's words in a SASL numeric ("904 nick
// :text"), or def where it gave none.
func saslWords(m ircmsg.Message, def string) string {
	if len(m.Params) < 2 || strings.TrimSpace(lastParam(m)) == "" {
		return def
	}
	return plainText(lastParam(m))
}

// banWords are what servers write in the ERROR that ends a banned
// client's connection: "Closing Link: host (K-Lined)", "(G-lined:
// spam)", "You are banned from this server", "(AKILLed)". A plain
// "Closing Link" (a restart, a ping timeout, too many connections) has
// none: that is no ban, and is tried again.
var banWords = regexp.MustCompile(`(?i)\b(banned|[kgzd]-?lined?|akill(ed)?)\b`)

// banned reports whether an ERROR's text says the server bans the
// client.
func banned(text string) bool { return banWords.MatchString(text) }

// noteBan notes that the server refused the current attempt with a ban
// (465, 466, 463, or an ERROR that says so) before welcoming it: the
// attempt's end is the login's (dial, refused), not tried again.
func (s *Session) noteBan() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.attempt; a != nil && !a.registered {
		a.banned = true
	}
}

// noteSaid keeps what the server said during the current attempt's
// registration.
func (s *Session) noteSaid(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.attempt
	if a == nil || a.registered || len(a.said) >= maxSaid {
		return
	}
	for _, w := range a.said {
		if w == what {
			return
		}
	}
	a.said = append(a.said, what)
}

// registrationFailure says why attempt a ended before the server welcomed
// it.
func registrationFailure(addr string, a *attempt) string {
	var msg string
	switch err, byUs := a.conn.ending(); {
	case byUs || err == nil:
		// ircevent hung up: the server did not finish in time, or a
		// SASL account was refused.
		msg = addr + " did not complete the registration"
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
		// A reset is the server's close too: one that closes with our
		// last line unread resets the connection.
		msg = addr + " closed the connection during registration"
		if len(a.said) == 0 {
			msg += " without a word"
		}
	default:
		msg = fmt.Sprintf("the connection to %s failed during registration: %v", addr, err)
	}
	if len(a.said) > 0 {
		msg += ": " + strings.Join(a.said, "; ")
	}
	return msg
}

// watchedConn is an attempt's connection, which remembers how it ended:
// the first error a read met before ircevent closed it.
type watchedConn struct {
	net.Conn
	closed  atomic.Bool
	mu      sync.Mutex
	readErr error
}

func (c *watchedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil && !c.closed.Load() {
		c.mu.Lock()
		if c.readErr == nil {
			c.readErr = err
		}
		c.mu.Unlock()
	}
	return n, err
}

func (c *watchedConn) Close() error {
	c.closed.Store(true)
	return c.Conn.Close()
}

// ending is the error that ended the connection from the server's side
// (io.EOF: it closed it), and whether ircevent closed it first.
func (c *watchedConn) ending() (error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readErr, c.readErr == nil && c.closed.Load()
}
