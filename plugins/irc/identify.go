package irc

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"
)

// A channel for registered nicks only refuses a JOIN (477; ngircd's 471
// "(+R)") until the nick is identified with the network's services. A
// SASL account is identified before the server's welcome; a NickServ
// IDENTIFY, sent at the welcome, is answered later, after the JOINs of
// the login's channels went. So a login follows its identification: a
// refusal while it is under way waits for it, and a channel refused
// before the nick was identified (the user identifies by hand, a message
// to NickServ) is joined again once it is.

// DefaultIdentifyWait is how long after its IDENTIFY to NickServ a login
// takes its identification as under way, when services say nothing the
// plugin recognizes (the config's identify_wait): then the channels
// waiting for it are tried once more.
const DefaultIdentifyWait = 5 * time.Second

// identifiedWords are what services answer a nick just identified:
// Atheme "You are now identified for kit.", Anope "Password accepted -
// you are now recognized.", ergo "You're now logged in as kit".
var identifiedWords = regexp.MustCompile(`(?i)(\byou are now (identified|recognized|logged in)\b|\byou're now logged in\b|\bpassword accepted\b)`)

// handleIdentification follows the nick's identification: the server's
// 900 (RPL_LOGGEDIN: ergo, InspIRCd, UnrealIRCd), a user mode +r (+R
// on ngircd) the services set, or NickServ's words; 901 (logged out) or
// the mode taken away undoes it.
func (s *Session) handleIdentification(c *ircevent.Connection) {
	s.on(c, ircevent.RPL_LOGGEDIN, func(ircmsg.Message) { s.identifiedNow(c, true) })
	s.onLoggedOut(c)
	s.on(c, ircevent.RPL_MYINFO, func(m ircmsg.Message) {
		if len(m.Params) >= 3 {
			s.mu.Lock()
			s.ngircd = strings.HasPrefix(strings.ToLower(m.Params[2]), "ngircd")
			s.mu.Unlock()
		}
	})
	s.on(c, "MODE", func(m ircmsg.Message) {
		if len(m.Params) < 2 || !s.isSelf(m.Params[0]) {
			return // a channel's modes
		}
		s.mu.Lock()
		ngircd := s.ngircd
		s.mu.Unlock()
		if now, changed := registeredMode(m.Params[1], ngircd); changed {
			s.identifiedNow(c, now)
		}
	})
	s.on(c, "NOTICE", func(m ircmsg.Message) {
		if s.fold(m.Nick()) == "nickserv" && strings.Contains(m.Source, "!") && identifiedWords.MatchString(plainText(lastParam(m))) {
			s.identifiedByWords(c)
		}
	})
}

// onLoggedOut reads 901 (RPL_LOGGEDOUT: the account logged out, by the
// user's NickServ LOGOUT or by services) as the nick no longer
// identified. Called again at each welcome, it replaces irc-go's own
// 901 callback of a login with SASL, which takes a 901 for a SASL
// failure whenever it comes, and quits the connection: a logout after
// the welcome made the login reconnect.
func (s *Session) onLoggedOut(c *ircevent.Connection) {
	c.ClearCallback(ircevent.RPL_LOGGEDOUT)
	s.on(c, ircevent.RPL_LOGGEDOUT, func(ircmsg.Message) { s.identifiedNow(c, false) })
}

// registeredMode reads a user mode change ("+ir", "-r") for the mode
// services set on an identified nick: r, or on ngircd R (elsewhere, as
// on InspIRCd and UnrealIRCd, +R is the user's own "private messages
// from registered nicks only"); now is its last state in the change.
func registeredMode(change string, ngircd bool) (now, changed bool) {
	mark := 'r'
	if ngircd {
		mark = 'R'
	}
	add := true
	for _, r := range change {
		switch r {
		case '+', '-':
			add = r == '+'
		case mark:
			now, changed = add, true
		}
	}
	return now, changed
}

// startIdentifying notes that connection c sent its IDENTIFY: until
// services answer, or identify_wait later, a refusal for registered
// nicks waits (holdForIdentificationLocked).
func (s *Session) startIdentifying(c *ircevent.Connection) {
	s.mu.Lock()
	s.identifying, s.idNick = true, s.self
	gen := s.idGen
	s.mu.Unlock()
	time.AfterFunc(time.Duration(s.n.cfg.IdentifyWait), func() {
		s.mu.Lock()
		late := s.conn != c || s.idGen != gen || !s.identifying
		if !late {
			s.identifying = false
		}
		s.mu.Unlock()
		if !late {
			// Services said nothing recognized: the channels that
			// waited are tried once more, and a refusal now stands.
			s.joinAwaiting(c)
		}
	})
}

// identifiedNow notes the nick identified (yes) or not any more, on
// connection c; once identified, the channels refused for registered
// nicks only are joined again.
func (s *Session) identifiedNow(c *ircevent.Connection, yes bool) {
	s.mu.Lock()
	if s.conn != c {
		s.mu.Unlock()
		return
	}
	s.identified, s.byServer = yes, yes
	if yes {
		s.identifying = false
	}
	s.mu.Unlock()
	if yes && c.CurrentNick() != "" {
		// Before the welcome (SASL's 900), no channel was joined yet.
		s.joinAwaiting(c)
	}
}

// identifiedByWords notes NickServ saying the nick is identified, on
// connection c. The server may set the nick's mode a moment later (+R on
// ngircd, from services over the server link), and refuse a join for
// registered nicks until then: unless the server said so already, a
// refusal meanwhile waits as during the identification, for the mode or
// identify_wait, and the channels waiting are joined now.
func (s *Session) identifiedByWords(c *ircevent.Connection) {
	s.mu.Lock()
	if s.conn != c {
		s.mu.Unlock()
		return
	}
	s.identified = true
	wait := !s.byServer && !s.identifying
	s.mu.Unlock()
	if wait {
		s.startIdentifying(c)
	}
	if c.CurrentNick() != "" {
		s.joinAwaiting(c)
	}
}

// joinAwaiting joins again the channels waiting for the nick's
// identification (needID), in as few lines as rejoin does.
func (s *Session) joinAwaiting(c *ircevent.Connection) {
	s.mu.Lock()
	var names []string
	keys := map[string]string{}
	for id, name := range s.needID {
		names = append(names, name)
		keys[name] = s.acc.Keys[id]
	}
	clear(s.needID)
	s.mu.Unlock()
	slices.Sort(names)
	for _, params := range joinLines(names, keys) {
		_ = c.Send("JOIN", params...)
	}
}

// holdForIdentificationLocked takes a refusal of channel name for
// registered nicks only, which a JoinChat waits for (waited) or which is
// one of the login's: while the nick's identification is under way, the
// channel waits for it (held: the refusal is no answer yet). Else, a
// channel of the login refused before the nick was identified is joined
// again once it is. hint says what the user can do.
func (s *Session) holdForIdentificationLocked(name string, waited bool) (held bool, hint string) {
	id := s.chanID(name)
	if s.identifying {
		s.needID[id] = name
		return true, ""
	}
	if s.identified {
		return false, ""
	}
	if !waited {
		s.needID[id] = name
	}
	switch {
	case s.acc.NickServPassword != "" && s.acc.SASLUser == "":
		hint = "NickServ did not say your nick is identified (is the login's NickServ password right?)"
	default:
		hint = "identify your nick first (a message to NickServ: IDENTIFY <password>), or log in with a SASL account or a NickServ password"
	}
	if !waited {
		hint += "; the channel is joined again once your nick is identified"
	}
	return false, hint
}
