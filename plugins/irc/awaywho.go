package irc

import (
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// away-notify tells of away states as they change, not of those set
// before the user joined: the spec has clients ask (WHO #chan) at
// joining, whose replies (352) flag each member here (H) or gone (G).
// A member flagged gone whose presence the connection has not given is
// shown away ("Away": WHO gives no message; the next AWAY of theirs
// says it). Before, someone away when the user joined showed as here
// until their state changed again.

// askAways sends WHO for channel name, under wireMu: its replies come
// before or after a command window's (refusals.go), not inside it,
// where they would be shown as the answers to a WHO the user typed.
func (s *Session) askAways(c *ircevent.Connection, name string) {
	s.wireMu.Lock()
	defer s.wireMu.Unlock()
	if err := c.Send("WHO", name); err != nil {
		s.n.host.Logger().Warn("irc: who is away in the channel not asked", "channel", name, "err", err)
	}
}

// handleWhoAways reads the replies to WHO: "352 me #chan user host
// server nick flags :hops realname".
func (s *Session) handleWhoAways(c *ircevent.Connection) {
	s.on(c, ircevent.RPL_WHOREPLY, s.onWhoReply)
}

// onWhoReply shows a member of a joined channel that a WHO reply flags
// gone (G) as away, where the connection showed no presence of theirs
// yet, and notes their user and host (for bans).
func (s *Session) onWhoReply(m ircmsg.Message) {
	if len(m.Params) < 7 {
		return
	}
	nick, flags := m.Params[5], m.Params[6]
	s.mu.Lock()
	ch := s.channels[s.chanID(m.Params[1])]
	if ch == nil || s.isSelfLocked(nick) {
		s.mu.Unlock()
		return
	}
	id := s.people.id(nick)
	if _, in := ch.members[id]; !in {
		s.mu.Unlock()
		return
	}
	if m.Params[2] != "" && m.Params[3] != "" {
		s.people.seen(nick, userHost{user: m.Params[2], host: m.Params[3]})
	}
	_, shown := s.presences[id]
	away := s.caps["away-notify"] && strings.HasPrefix(flags, "G") && !shown
	if away {
		s.presences[id] = "Away"
	}
	s.mu.Unlock()
	if away {
		s.presence(&pb.Sender{UserId: id, Name: decodeText(nick)}, time.Now(),
			&pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AWAY, Status: "Away"})
	}
}
