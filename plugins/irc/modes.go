package irc

import (
	"slices"
	"strings"
	"time"

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

// handleModes follows channel MODE changes: membership modes (+o, -v...)
// are role changes, the channel's own +m and +t what the room allows
// (chanview.go), +k the key kept for rejoining. The channel's modes at
// joining come in the answer to the MODE query the join sends (324).
func (s *Session) handleModes(c *ircevent.Connection) {
	s.on(c, "MODE", func(m ircmsg.Message) {
		if len(m.Params) < 2 || !isChannel(m.Params[0]) {
			return // a user mode
		}
		id := s.chanID(m.Params[0])
		s.changeModes(m, id, m.Params[1], m.Params[2:], false)
		s.tellModes(m, id)
	})
	// "324 me #chan +mnt [params]": the channel's modes, all of them.
	s.on(c, ircevent.RPL_CHANNELMODEIS, func(m ircmsg.Message) {
		if len(m.Params) < 3 || !isChannel(m.Params[1]) {
			return
		}
		id := s.chanID(m.Params[1])
		s.mu.Lock()
		if w := s.modWait; w != nil && w.modes && w.channel == id && w.win.active {
			// The answer to a bare "/mode" (modecmd.go).
			w.modesSaid = plainText(strings.Join(m.Params[2:], " "))
		}
		s.mu.Unlock()
		s.changeModes(m, id, m.Params[2], m.Params[3:], true)
	})
}

// chanAsk is a question about a joined channel (by ID) that askModes
// queues: its modes, or who is away in it (who).
type chanAsk struct {
	id  string
	who bool
}

// askModes asks for the modes of channel id, just joined: servers do
// not say them at a join, and the answer (324) says whether it is
// moderated, its topic locked. The questions go at the pace of the
// user's lines, one when a line may go now, so that the rejoin of many
// channels is not a flood (Solanum's "Excess Flood" past about 20 lines
// queued) and takes no turn of a message the user sends meanwhile.
func (s *Session) askModes(c *ircevent.Connection, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	asks := []chanAsk{{id: id}}
	if s.caps["away-notify"] {
		// Who is away already (awaywho.go): away-notify tells only
		// of changes.
		asks = append(asks, chanAsk{id: id, who: true})
	}
	for _, a := range asks {
		if !slices.Contains(s.modeAsks, a) {
			s.modeAsks = append(s.modeAsks, a)
		}
	}
	if !s.asking {
		s.asking = true
		go s.sendModeAsks(c, s.stop)
	}
}

// sendModeAsks sends the questions of askModes, each when the user's
// pace lets a line go, for the channels the user is still in; it ends
// when none is left or the login is disconnected (stop).
func (s *Session) sendModeAsks(c *ircevent.Connection, stop chan struct{}) {
	for {
		s.mu.Lock()
		var name string
		var who bool
		for name == "" && len(s.modeAsks) > 0 {
			if ch := s.channels[s.modeAsks[0].id]; ch != nil {
				name, who = ch.name, s.modeAsks[0].who
			}
			s.modeAsks = s.modeAsks[1:]
		}
		if name == "" {
			s.asking = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		for !s.lines.allow() {
			select {
			case <-time.After(lineEvery):
			case <-stop:
				// Disconnected. Connected again meanwhile: the
				// questions of that connection's joins go on it.
				s.mu.Lock()
				s.asking = false
				if s.stop == stop || s.conn == nil {
					s.modeAsks = nil
				} else if len(s.modeAsks) > 0 {
					s.asking = true
					go s.sendModeAsks(s.conn, s.stop)
				}
				s.mu.Unlock()
				return
			}
		}
		if who {
			s.askAways(c, name)
			continue
		}
		if err := c.Send("MODE", name); err != nil {
			s.n.host.Logger().Warn("irc: the channel's modes not asked for", "channel", name, "err", err)
		}
	}
}

// changeModes applies the mode changes modes (with their arguments
// args) to channel id; whole says they are all the channel's modes
// (324), the others unset. Members whose modes or role changed are role
// changes; a change of what the user may do there (speak in a moderated
// channel, set a locked topic) is the chat again, first, so that the
// room shows the user's own new standing with it.
func (s *Session) changeModes(m ircmsg.Message, id, modes string, args []string, whole bool) {
	next := func() string {
		if len(args) == 0 {
			return ""
		}
		a := args[0]
		args = args[1:]
		return a
	}
	key, keyChanged := "", false
	var order []string // members whose modes changed, in the order named
	s.mu.Lock()
	p, cm, ch := s.prefix, s.modes, s.channels[id]
	var before map[string]pb.Role
	var was chanView
	if ch != nil {
		was = s.viewLocked(ch)
		if strings.ContainsRune(modes, 'm') || whole {
			before = make(map[string]pb.Role, len(ch.members))
			for uid, mem := range ch.members {
				before[uid], _ = s.roleLocked(ch, mem)
			}
		}
		if whole {
			ch.flags = ""
		}
	}
	set := true
	for _, mode := range modes {
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
			had := mem.modes
			mem.modes = strings.ReplaceAll(mem.modes, string(mode), "")
			if set {
				mem.modes += string(mode)
			}
			// Voice changes no role outside a moderated channel, but
			// the gateway hears of it all the same.
			if mem.modes != had && !slices.Contains(order, uid) {
				order = append(order, uid)
			}
		case mode == 'k':
			// The channel's key, kept for rejoining: a key set or
			// changed while the user was in would refuse the next
			// connection's JOIN (475), and the channel would be
			// lost. Servers that hide keys show "*". The key 324
			// shows is the one the join gave.
			arg := next()
			if ch != nil && !whole && (!set || (arg != "" && arg != "*")) {
				key, keyChanged = arg, true
				if !set {
					key = ""
				}
			}
		case strings.ContainsRune(cm.always, mode), set && strings.ContainsRune(cm.whenSet, mode):
			next()
		case ch != nil:
			// A mode of the channel's own without an argument (m, t,
			// n...), or one whose argument it has while set (l).
			ch.flags = strings.ReplaceAll(ch.flags, string(mode), "")
			if set {
				ch.flags += string(mode)
			}
		}
	}
	var chat *pb.Chat
	var changed []*pb.Member
	if ch != nil {
		if ch.synced && s.viewLocked(ch) != was {
			chat = s.chatLocked(id, ch)
		}
		// Roles +m or -m changed: those without voice become
		// visitors, or are participants again.
		var moved []string
		for uid, role := range before {
			if mem := ch.members[uid]; mem != nil && !slices.Contains(order, uid) {
				if now, _ := s.roleLocked(ch, mem); now != role {
					moved = append(moved, uid)
				}
			}
		}
		slices.Sort(moved)
		for _, uid := range append(order, moved...) {
			changed = append(changed, s.pbMemberLocked(ch, uid, ch.members[uid]))
		}
		if !ch.synced {
			changed = nil // the chat, when NAMES ends, has them
		}
	}
	s.mu.Unlock()
	if chat != nil {
		s.n.host.Emit(&pb.Event{LoginId: s.loginID, ChatId: id, ChatType: pb.ChatType_CHAT_TYPE_GROUP,
			TimestampUnixMicro: serverTime(m).UnixMicro(), Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}}})
	}
	for _, mem := range changed {
		s.member(m, id, pb.MemberEvent_KIND_ROLE_CHANGED, mem, "")
	}
	if keyChanged {
		if err := s.keepKey(id, key); err != nil {
			s.n.host.Logger().Error("irc: the channel's new key not saved", "channel", id, "err", err)
		}
	}
}

// tellModes says a channel's mode change in its room, from the room
// itself, as biboumi does ("dave sets mode +b *!*@evil.example"): a ban,
// a key, a limit, invite-only change what the members may do, and no
// role nor room setting shows them. A change of members' modes alone
// (+o, -v) is not said: their role changes show it.
func (s *Session) tellModes(m ircmsg.Message, id string) {
	s.mu.Lock()
	ch, p := s.channels[id], s.prefix
	synced := ch != nil && ch.synced
	s.mu.Unlock()
	if !synced || !strings.ContainsFunc(m.Params[1], func(r rune) bool { return r != '+' && r != '-' && !strings.ContainsRune(p.modes, r) }) {
		return
	}
	who := m.Nick()
	if who == "" {
		who = m.Source
	}
	text := decodeText(who) + " sets mode " + plainText(strings.Join(m.Params[1:], " "))
	s.n.host.Emit(&pb.Event{LoginId: s.loginID, ChatId: id, ChatType: pb.ChatType_CHAT_TYPE_GROUP, EventId: s.eventID(m),
		TimestampUnixMicro: serverTime(m).UnixMicro(), Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}})
}
