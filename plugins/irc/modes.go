package irc

import (
	"strings"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// prefixes is the server's channel membership modes (RPL_ISUPPORT PREFIX,
// "(qaohv)~&@%+"): each mode and the symbol NAMES shows for it, highest
// first.
type prefixes struct{ modes, symbols string }

var defaultPrefixes = prefixes{modes: "qaohv", symbols: "~&@%+"}

// parsePrefixes reads PREFIX; the default when it is missing or malformed.
func parsePrefixes(v string) prefixes {
	modes, symbols, ok := strings.Cut(strings.TrimPrefix(v, "("), ")")
	if !ok || !strings.HasPrefix(v, "(") || len(modes) != len(symbols) || modes == "" {
		return defaultPrefixes
	}
	return prefixes{modes: modes, symbols: symbols}
}

// split reads a NAMES entry, "@+nick" (several symbols with multi-prefix),
// into the nick and its modes.
func (p prefixes) split(entry string) (nick, modes string) {
	for entry != "" {
		i := strings.IndexByte(p.symbols, entry[0])
		if i < 0 {
			break
		}
		modes += p.modes[i : i+1]
		entry = entry[1:]
	}
	return entry, modes
}

// role is what a member with these modes is in the room: an owner (q),
// admin (a, o) or half-op (h) moderates; voice (v) or nothing is a
// participant. Modes the server has beyond these rank by their place in
// PREFIX: above o as o, below as h.
func (p prefixes) role(modes string) (pb.Role, pb.Affiliation) {
	best := len(p.modes)
	for _, m := range modes {
		if i := strings.IndexRune(p.modes, m); i >= 0 && i < best {
			best = i
		}
	}
	if best == len(p.modes) {
		return pb.Role_ROLE_PARTICIPANT, pb.Affiliation_AFFILIATION_MEMBER
	}
	op := strings.IndexByte(p.modes, 'o')
	switch mode := p.modes[best]; {
	case mode == 'q':
		return pb.Role_ROLE_MODERATOR, pb.Affiliation_AFFILIATION_OWNER
	case mode == 'a' || mode == 'o' || (op >= 0 && best < op):
		return pb.Role_ROLE_MODERATOR, pb.Affiliation_AFFILIATION_ADMIN
	case mode == 'v':
		return pb.Role_ROLE_PARTICIPANT, pb.Affiliation_AFFILIATION_MEMBER
	default: // h, and anything between o and v
		return pb.Role_ROLE_MODERATOR, pb.Affiliation_AFFILIATION_MEMBER
	}
}

// chanModes is which channel modes take a parameter (RPL_ISUPPORT
// CHANMODES "A,B,C,D"): A (lists) and B always, C only when set, D never.
type chanModes struct{ always, whenSet string }

var defaultChanModes = chanModes{always: "beIk", whenSet: "l"}

func parseChanModes(v string) chanModes {
	parts := strings.Split(v, ",")
	if len(parts) < 3 {
		return defaultChanModes
	}
	return chanModes{always: parts[0] + parts[1], whenSet: parts[2]}
}

// handleModes turns channel MODE changes of membership modes (+o, -v...)
// into role changes.
func (s *Session) handleModes(c *ircevent.Connection) {
	c.AddCallback("MODE", func(m ircmsg.Message) {
		if len(m.Params) < 2 || !isChannel(m.Params[0]) {
			return // a user mode
		}
		id := s.chanID(m.Params[0])
		args := m.Params[2:]
		next := func() string {
			if len(args) == 0 {
				return ""
			}
			a := args[0]
			args = args[1:]
			return a
		}
		var changed []*pb.Member
		key, keyChanged := "", false
		s.mu.Lock()
		p, cm, ch := s.prefix, s.modes, s.channels[id]
		set := true
		for _, mode := range m.Params[1] {
			switch {
			case mode == '+' || mode == '-':
				set = mode == '+'
			case strings.ContainsRune(p.modes, mode):
				nick := next()
				if ch == nil || nick == "" {
					continue
				}
				uid := s.loginID
				if !s.isSelfLocked(nick) {
					uid = s.people.id(nick)
				}
				mem := ch.members[uid]
				if mem == nil {
					continue
				}
				was := mem.modes
				mem.modes = strings.ReplaceAll(mem.modes, string(mode), "")
				if set {
					mem.modes += string(mode)
				}
				// Voice changes no role outside a moderated channel, but
				// the gateway hears of it all the same.
				if mem.modes != was {
					changed = append(changed, s.pbMemberLocked(uid, mem))
				}
			case mode == 'k':
				// The channel's key, kept for rejoining: a key set or
				// changed while the user was in would refuse the next
				// connection's JOIN (475), and the channel would be
				// lost. Servers that hide keys show "*".
				arg := next()
				if ch != nil && (!set || (arg != "" && arg != "*")) {
					key, keyChanged = arg, true
					if !set {
						key = ""
					}
				}
			case strings.ContainsRune(cm.always, mode), set && strings.ContainsRune(cm.whenSet, mode):
				next()
			}
		}
		s.mu.Unlock()
		for _, mem := range changed {
			s.member(m, id, pb.MemberEvent_KIND_ROLE_CHANGED, mem, "")
		}
		if keyChanged {
			if err := s.keepKey(id, key); err != nil {
				s.n.host.Logger().Error("irc: the channel's new key not saved", "channel", id, "err", err)
			}
		}
	})
}
