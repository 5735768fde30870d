package signal

import (
	"context"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Group members who are none of the user's contacts have no name the
// gateway knows (it names members by its contacts): they showed in rooms
// by their number or ACI. signal-cli knows everyone it met (listContacts
// with allRecipients) with their profile's name; a member the user saved
// no name for goes by that name in rooms (Member.nick), and a rename
// (an envelope of theirs under another name: signal-cli refreshes a
// profile as it reads its owner's messages) renames them there
// (MemberEvent RENAMED) in each group they are in. A member the user
// saved a name for keeps the contact's name (nick "").

// memberNames are the nicks of the people signal-cli knows, by user ID.
type memberNames struct {
	mu sync.Mutex
	m  map[string]memberName
}

type memberName struct {
	nick string // the profile's name when the user saved none, else ""
	seen string // the name their envelopes give (signal-cli's sourceName)
}

// nickOf is the nick a recipient entry gives its person in rooms.
func nickOf(c contactEntry) string {
	if c.Name != "" {
		return "" // the user's name for them: the contact's
	}
	return c.displayName()
}

// learn records recipient entries of listContacts.
func (n *memberNames) learn(s *Session, cs []contactEntry) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = map[string]memberName{}
	}
	for _, c := range cs {
		id := s.ids.lookup(deref(c.Number), c.UUID, s.acc) // learns nothing, as remember
		if id == "" {
			continue
		}
		n.m[id] = memberName{nick: nickOf(c), seen: c.displayName()}
	}
}

// missing are the IDs of ids not known.
func (n *memberNames) missing(ids []string) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, id := range ids {
		if _, ok := n.m[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

// nick is id's nick ("" when none or unknown).
func (n *memberNames) nick(id string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.m[id].nick
}

// seen records that an envelope from id named them name, and reports
// whether that name is new: neither the one seen last nor their nick.
func (n *memberNames) seen(id, name string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = map[string]memberName{}
	}
	e, ok := n.m[id]
	if ok && (name == e.seen || name == e.nick) {
		return false
	}
	if ok {
		e.seen = name
		n.m[id] = e
	}
	return true
}

// setNick sets id's nick and reports whether it changed.
func (n *memberNames) setNick(id, nick string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	e := n.m[id]
	if e.nick == nick {
		return false
	}
	e.nick = nick
	n.m[id] = e
	return true
}

// nameMembers gives the members of a group their nicks, reading the
// people signal-cli knows when one of them is not known yet (a
// connection's first group, a member new since). Outcasts and the user
// go without.
func (s *Session) nameMembers(ctx context.Context, ms []*pb.Member) {
	var ids []string
	for _, m := range ms {
		if !m.IsSelf && m.Affiliation != pb.Affiliation_AFFILIATION_OUTCAST {
			ids = append(ids, m.UserId)
		}
	}
	if miss := s.names.missing(ids); len(miss) > 0 {
		var cs []contactEntry
		// All of them, not the missing alone: signal-cli fetches the
		// profile of each recipient named (a network request each),
		// while the whole list only refreshes profiles older than 6
		// hours.
		if err := s.call(ctx, "could not read the group's members", "listContacts", map[string]any{"allRecipients": true}, &cs); err != nil {
			s.n.host.Logger().Debug("signal: the members' names could not be read", "login", s.loginID, "err", err)
		} else {
			s.names.learn(s, cs)
			s.names.mu.Lock()
			for _, id := range miss {
				if _, ok := s.names.m[id]; !ok {
					s.names.m[id] = memberName{} // none: not asked again
				}
			}
			s.names.mu.Unlock()
		}
	}
	for _, m := range ms {
		if slices.Contains(ids, m.UserId) {
			m.Nick = s.names.nick(m.UserId)
		}
	}
}

// memberSeen renames a group member in the rooms of the groups they are
// in when an envelope of theirs names them otherwise than before: their
// profile is read again (listContacts naming them, which has signal-cli
// fetch it; read: the entry profileSeen read just now for a contact, if
// it did), and a new nick told as RENAMED, with the member's role and
// affiliation as they are.
func (s *Session) memberSeen(ctx context.Context, id, name string, read *contactEntry) {
	if id == "" || id == s.selfID() || len(s.groupsWith(id)) == 0 {
		return
	}
	if changed := name != "" && s.names.seen(id, name); read == nil && !changed {
		return
	}
	if read == nil {
		var cs []contactEntry
		if err := s.call(ctx, "could not read the member", "listContacts", map[string]any{"recipient": []string{id}, "allRecipients": true}, &cs); err != nil {
			s.n.host.Logger().Debug("signal: a member's profile could not be read again", "login", s.loginID, "user", id, "err", err)
			return
		}
		for _, c := range cs {
			if deref(c.Number) == id || c.UUID == id {
				read = &c
				break
			}
		}
	}
	if read == nil {
		return
	}
	nick := nickOf(*read)
	if !s.names.setNick(id, nick) {
		return
	}
	for _, chat := range s.groupsWith(id) {
		s.mu.Lock()
		var m *pb.Member
		if g := s.groups[chat]; g != nil {
			// A copy: the chat known may be in an event being encoded.
			c := proto.CloneOf(g.chat)
			for _, x := range c.Members {
				if x.UserId == id && x.Affiliation != pb.Affiliation_AFFILIATION_OUTCAST {
					x.Nick = nick
					m = proto.CloneOf(x)
				}
			}
			g.chat = c
		}
		s.mu.Unlock()
		if m == nil {
			continue
		}
		s.emit(ctx, &pb.Event{ChatId: chat, ChatType: pb.ChatType_CHAT_TYPE_GROUP,
			Payload: &pb.Event_Member{Member: &pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED, Member: m}}}, true)
	}
}

// groupsWith are the groups known where id is a member, sorted.
func (s *Session) groupsWith(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for chat, g := range s.groups {
		for _, m := range g.chat.Members {
			if m.UserId == id && m.Affiliation != pb.Affiliation_AFFILIATION_OUTCAST {
				out = append(out, chat)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}
