package irc

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Contacts' presence (IRCv3 MONITOR, or WATCH on servers that offer it
// instead: UnrealIRCd's older releases, Bahamut, InspIRCd's m_watch): the
// server tells when a nick watched comes online or goes offline. The
// user's contacts are the nicks of their one-to-one chats on this
// login: a private message from one or to one (a channel's members,
// whose vCards a client may ask, are not: none would be left for the
// user's own chats within the server's limit); kept across
// reconnections, newest last, at most contactsMax (a restart of the
// plugin starts anew: the chats' nicks come back as the user talks).
// The newest of them, up to the server's limit (ISUPPORT MONITOR=n,
// WATCH=n), are watched; a new contact past it takes the oldest's place.
// Online shows the contact available (away where away-notify or a 301
// said so), offline offline. Before, a contact who shared no channel
// with the user had no presence at all, and one who did went offline
// when they left the last channel, though still on the network.

// contactsMax bounds the contacts kept, and the nicks watched where the
// server sets no limit.
const contactsMax = 100

// The numerics of MONITOR and WATCH.
const (
	rplMonOnline   = "730"
	rplMonOffline  = "731"
	errMonListFull = "734"
	rplLogon       = "600"
	rplLogoff      = "601"
	rplNowOn       = "604"
	rplNowOff      = "605"
	errTooManyWat  = "512"
)

// Watch states of a nick (Session.watched).
const (
	watchUnknown = "" // asked for, not answered yet
	watchOn      = "on"
	watchOff     = "off"
)

// watchOf reads the server's ISUPPORT: the command that watches nicks
// ("MONITOR", "WATCH", "" for none) and how many it takes.
func watchOf(isupport map[string]string) (cmd string, limit int) {
	for _, name := range []string{"MONITOR", "WATCH"} {
		v, ok := isupport[name]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > contactsMax {
			n = contactsMax // no limit said
		}
		return name, n
	}
	return "", 0
}

// watchLines are the lines that start (add) or stop watching nicks,
// each well within 512 bytes.
func watchLines(cmd string, add bool, nicks []string) [][]string {
	const room = 400
	var lines [][]string
	var cur []string
	size := 0
	flush := func() {
		if len(cur) == 0 {
			return
		}
		if cmd == "MONITOR" {
			op := "+"
			if !add {
				op = "-"
			}
			lines = append(lines, []string{op, strings.Join(cur, ",")})
		} else {
			lines = append(lines, cur)
		}
		cur, size = nil, 0
	}
	for _, n := range nicks {
		if cmd == "WATCH" {
			if add {
				n = "+" + n
			} else {
				n = "-" + n
			}
		}
		if size+len(n)+1 > room {
			flush()
		}
		cur = append(cur, n)
		size += len(n) + 1
	}
	flush()
	return lines
}

// watchContacts watches the newest contacts at the connection's start.
func (s *Session) watchContacts(c *ircevent.Connection) {
	cmd, limit := watchOf(c.ISupport())
	s.mu.Lock()
	s.watchCmd, s.watchLimit, s.watched = cmd, limit, map[string]string{}
	var nicks []string
	if cmd != "" {
		nicks = slices.Clone(s.contacts[max(0, len(s.contacts)-limit):])
		for _, n := range nicks {
			s.watched[s.fold(n)] = watchUnknown
		}
	}
	s.mu.Unlock()
	s.sendWatch(c, cmd, watchLines(cmd, true, nicks))
}

// sendWatch sends lines of cmd (MONITOR, WATCH) under wireMu: their
// answers come before or after a command window's (refusals.go), not
// inside it.
func (s *Session) sendWatch(c *ircevent.Connection, cmd string, lines [][]string) {
	s.wireMu.Lock()
	defer s.wireMu.Unlock()
	for _, p := range lines {
		if err := c.Send(cmd, p...); err != nil {
			s.n.host.Logger().Warn("irc: contacts' presence not asked", "login", s.loginID, "command", cmd, "err", err)
			return
		}
	}
}

// noteContact makes nick a contact (the newest), and watches it where
// the server can: in place of the oldest watched when the list is full.
func (s *Session) noteContact(nick string) {
	if nick == "" || isChannel(nick) || strings.ContainsAny(nick, "!@*, ") {
		return
	}
	s.mu.Lock()
	if s.isSelfLocked(nick) || s.fold(nick) == s.fold(s.acc.serverChatID()) {
		s.mu.Unlock()
		return
	}
	f := s.fold(nick)
	for i, n := range s.contacts {
		if s.fold(n) == f {
			s.contacts = append(s.contacts[:i], s.contacts[i+1:]...)
			break
		}
	}
	s.contacts = append(s.contacts, nick)
	if len(s.contacts) > contactsMax {
		s.contacts = s.contacts[1:]
	}
	conn, cmd := s.conn, s.watchCmd
	_, watched := s.watched[f]
	if conn == nil || !s.up || cmd == "" || watched || !s.lines.allow() {
		// Not watched now where the user's pace has no line left:
		// private messages from many nicks (a spam wave) would else
		// send two lines each at once, and the server end the
		// connection for flooding. The contact is kept, and watched
		// at the next connection.
		s.mu.Unlock()
		return
	}
	var drop string
	if len(s.watched) >= s.watchLimit {
		// The oldest contact watched gives its place.
		for _, n := range s.contacts {
			if _, ok := s.watched[s.fold(n)]; ok {
				drop = n
				break
			}
		}
		if drop == "" {
			s.mu.Unlock()
			return
		}
		delete(s.watched, s.fold(drop))
	}
	s.watched[f] = watchUnknown
	s.mu.Unlock()
	var lines [][]string
	if drop != "" {
		lines = watchLines(cmd, false, []string{drop})
	}
	s.sendWatch(conn, cmd, append(lines, watchLines(cmd, true, []string{nick})...))
}

// watchedOnLocked reports whether the server said nick is online.
func (s *Session) watchedOnLocked(nick string) bool {
	return s.watched[s.fold(nick)] == watchOn
}

// handleWatch follows the server's answers to MONITOR and WATCH.
func (s *Session) handleWatch(c *ircevent.Connection) {
	s.on(c, rplMonOnline, func(m ircmsg.Message) {
		// me :nick!user@host,nick2!user@host
		for _, target := range strings.Split(lastParam(m), ",") {
			nick, uh, ok := splitSource(target)
			s.watchedOnline(nick, uh, ok)
		}
	})
	s.on(c, rplMonOffline, func(m ircmsg.Message) {
		// me :nick,nick2
		for _, nick := range strings.Split(lastParam(m), ",") {
			s.watchedOffline(nick)
		}
	})
	online := func(m ircmsg.Message) {
		// me nick user host time :text
		if len(m.Params) >= 4 {
			s.watchedOnline(m.Params[1], userHost{user: m.Params[2], host: m.Params[3]}, m.Params[2] != "*" && m.Params[3] != "*")
		}
	}
	offline := func(m ircmsg.Message) {
		if len(m.Params) >= 2 {
			s.watchedOffline(m.Params[1])
		}
	}
	s.on(c, rplLogon, online)
	s.on(c, rplNowOn, online)
	s.on(c, rplLogoff, offline)
	s.on(c, rplNowOff, offline)
	full := func(nicks []string) {
		s.mu.Lock()
		for _, n := range nicks {
			delete(s.watched, s.fold(n))
		}
		s.mu.Unlock()
		s.n.host.Logger().Info("irc: the server's list of watched nicks is full", "login", s.loginID, "nicks", nicks)
	}
	s.on(c, errMonListFull, func(m ircmsg.Message) {
		// me limit nicks :text
		if len(m.Params) >= 3 {
			full(strings.Split(m.Params[2], ","))
		}
	})
	s.on(c, errTooManyWat, func(m ircmsg.Message) {
		// me nick :text
		if len(m.Params) >= 2 {
			full([]string{m.Params[1]})
		}
	})
}

// watchedOnline shows the watched nick available, unless shown already
// (away, where away-notify or a 301 said so).
func (s *Session) watchedOnline(nick string, uh userHost, withAddr bool) {
	s.mu.Lock()
	f := s.fold(nick)
	if _, ok := s.watched[f]; !ok || nick == "" || s.isSelfLocked(nick) {
		s.mu.Unlock()
		return // not asked for (any more)
	}
	s.watched[f] = watchOn
	var id string
	if withAddr {
		id = s.people.seen(nick, uh)
	} else {
		id = s.people.id(nick)
	}
	_, shown := s.presences[id]
	if !shown {
		s.presences[id] = ""
	}
	s.mu.Unlock()
	if !shown {
		s.presence(&pb.Sender{UserId: id, Name: decodeText(nick)}, time.Now(), &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE})
	}
}

// watchedOffline shows the watched nick offline, unless it was shown so
// (a QUIT said it before the server's answer). A nick whose person has
// another nick now (they renamed) is not: that person is still here.
func (s *Session) watchedOffline(nick string) {
	s.mu.Lock()
	f := s.fold(nick)
	prior, ok := s.watched[f]
	if !ok || nick == "" || prior == watchOff {
		s.mu.Unlock()
		return
	}
	s.watched[f] = watchOff
	id, known := s.people.byNick[f]
	if !known {
		id = decodeText(f) // the ID the nick would get: nobody's now?
		if _, taken := s.people.nickOf[id]; taken {
			s.mu.Unlock()
			return // renamed: their ID is another nick's now
		}
	}
	_, shown := s.presences[id]
	delete(s.presences, id)
	s.mu.Unlock()
	if shown || prior == watchUnknown {
		s.presence(&pb.Sender{UserId: id, Name: decodeText(nick)}, time.Now(), &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_OFFLINE})
	}
}

// contactRenamed follows a contact's nick change: the chat goes on with
// them under the new nick (people.go), so the new nick is the contact,
// and watched in the old one's place.
func (s *Session) contactRenamed(old, now string) {
	s.mu.Lock()
	i := slices.IndexFunc(s.contacts, func(n string) bool { return s.fold(n) == s.fold(old) })
	if i < 0 || s.isSelfLocked(now) {
		s.mu.Unlock()
		return
	}
	s.contacts = slices.DeleteFunc(s.contacts, func(n string) bool { return s.fold(n) == s.fold(now) })
	i = slices.IndexFunc(s.contacts, func(n string) bool { return s.fold(n) == s.fold(old) })
	s.contacts[i] = now
	conn, cmd := s.conn, s.watchCmd
	_, watched := s.watched[s.fold(old)]
	_, already := s.watched[s.fold(now)]
	if !watched || conn == nil || s.fold(old) == s.fold(now) {
		s.mu.Unlock()
		return
	}
	delete(s.watched, s.fold(old))
	if !already {
		// Online (the NICK says so): no answer shows them again.
		s.watched[s.fold(now)] = watchOn
	}
	s.mu.Unlock()
	lines := watchLines(cmd, false, []string{old})
	if !already {
		lines = append(lines, watchLines(cmd, true, []string{now})...)
	}
	s.sendWatch(conn, cmd, lines)
}
