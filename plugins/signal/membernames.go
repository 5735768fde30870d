package signal

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Group members who are none of the user's contacts have no name the
// gateway knows (it names members by its contacts): they showed in rooms
// by their number or ACI. signal-cli knows everyone it met with their
// profile's name; a member the user saved no name for goes by that name
// in rooms (Member.nick), and a rename renames them there (MemberEvent
// RENAMED) in each group they are in. A member the user saved a name for
// keeps the contact's name (nick ""), so that the gateway's own contact
// rename reaches the rooms.
//
// signal-cli's JSON-RPC has no read of a name that does not fetch
// profiles from Signal (listGroups gives members' addresses alone):
// listContacts refreshes the profiles older than 6 hours of all it lists,
// with allRecipients everyone the account ever met, and those of the
// recipients it names whatever their age. So the names come from the
// contact list the gateway reads anyway (ContactList), from a
// listContacts naming only the members not known yet, and from the name
// each envelope gives its sender (signal-cli's sourceName, the contact's
// name, else the profile's, which signal-cli refreshes as it reads their
// messages); they are kept in the login's folder (member-names.json), so
// that a restart asks again for none.

// memberNamesFile keeps the names in the login's folder.
const memberNamesFile = "member-names.json"

// maxNamesAsked is how many members one listContacts names at most.
const maxNamesAsked = 100

// memberNames are the nicks of the people signal-cli knows, by user ID.
type memberNames struct {
	mu    sync.Mutex
	ask   sync.Mutex // held while asking signal-cli: two groups described at once ask once
	m     map[string]memberName
	path  string // "" when kept in memory only
	dirty bool   // changed since written
}

type memberName struct {
	Nick  string `json:"n,omitempty"` // the profile's name when the user saved none, else ""
	Seen  string `json:"s,omitempty"` // the name their envelopes give (signal-cli's sourceName)
	Named bool   `json:"k,omitempty"` // the user saved a name for them
}

// nickOf is the nick a recipient entry gives its person in rooms.
func nickOf(c contactEntry) string {
	if c.Name != "" {
		return "" // the user's name for them: the contact's
	}
	return c.displayName()
}

// load reads the names kept in the login folder dir ("": memory only).
func (n *memberNames) load(dir string, log *slog.Logger) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.m = map[string]memberName{}
	if dir == "" {
		return
	}
	n.path = filepath.Join(dir, memberNamesFile)
	// Lost names are read again (listContacts naming the members).
	if m, ok := sdk.LoadStateFile[map[string]memberName](n.path, "the group members' names are asked again", log); ok {
		n.m = m
	}
}

// save writes the names when they changed. A write that fails is
// logged: the names are asked again after a restart.
func (n *memberNames) save(log *slog.Logger) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.dirty || n.path == "" {
		return
	}
	if err := sdk.SaveStateFile(n.path, n.m); err != nil {
		log.Warn("signal: the group members' names cannot be written", "file", n.path, "err", err)
		return
	}
	n.dirty = false
}

// setLocked records id's entry; called with mu held.
func (n *memberNames) setLocked(id string, e memberName) {
	if n.m == nil {
		n.m = map[string]memberName{}
	}
	if old, ok := n.m[id]; !ok || old != e {
		n.m[id] = e
		n.dirty = true
	}
}

// learn records recipient entries of listContacts, and returns the IDs
// of those known before whose nick changed, with their new nicks.
func (n *memberNames) learn(s *Session, cs []contactEntry) map[string]string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var renamed map[string]string
	for _, c := range cs {
		id := s.ids.lookup(deref(c.Number), c.UUID, s.account()) // learns nothing, as remember
		if id == "" {
			continue
		}
		nick := nickOf(c)
		if old, ok := n.m[id]; ok && old.Nick != nick {
			if renamed == nil {
				renamed = map[string]string{}
			}
			renamed[id] = nick
		}
		n.setLocked(id, memberName{Nick: nick, Seen: c.displayName(), Named: c.Name != ""})
	}
	return renamed
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
	return n.m[id].Nick
}

// seen records that an envelope from id named them name, and returns
// the nick it gives them and whether it is new: for a member the user
// saved no name for, the name (signal-cli's sourceName is then their
// profile's). A name that is neither the one seen last nor their nick
// is new.
func (n *memberNames) seen(id, name string) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	e := n.m[id]
	if name == "" || name == e.Seen || name == e.Nick {
		return e.Nick, false
	}
	e.Seen = name
	if !e.Named {
		e.Nick = name
	}
	n.setLocked(id, e)
	return e.Nick, true
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
	s.names.ask.Lock()
	defer s.names.ask.Unlock()
	miss := s.names.missing(ids)
	for len(miss) > 0 {
		// The missing alone (signal-cli fetches each one's profile):
		// without recipients, listContacts would refresh every stale
		// profile of all the account ever met. By parts, so that a
		// large group's names are kept as they come, should signal-cli
		// be slow or stop answering.
		part := miss[:min(len(miss), maxNamesAsked)]
		miss = miss[len(part):]
		var cs []contactEntry
		if err := s.call(ctx, "could not read the group's members", "listContacts", map[string]any{"recipient": part, "allRecipients": true}, &cs); err != nil {
			s.n.host.Logger().Debug("signal: the members' names could not be read", "login", s.loginID, "err", err)
			break
		}
		s.names.learn(s, cs)
		s.names.mu.Lock()
		for _, id := range part {
			if _, ok := s.names.m[id]; !ok {
				s.names.setLocked(id, memberName{}) // none: not asked again
			}
		}
		s.names.mu.Unlock()
		s.names.save(s.n.host.Logger())
	}
	for _, m := range ms {
		if slices.Contains(ids, m.UserId) {
			m.Nick = s.names.nick(m.UserId)
		}
	}
}

// memberSeen renames a group member in the rooms of the groups they are
// in when an envelope of theirs names them otherwise than before: the
// name it gives (signal-cli's sourceName, which it refreshes as it
// reads their messages) is their nick unless the user saved a name for
// them; read is the entry profileSeen read just now for a contact, if
// it did, which says that.
func (s *Session) memberSeen(ctx context.Context, id, name string, read *contactEntry) {
	if id == "" || id == s.selfID() || len(s.groupsWith(id)) == 0 {
		return
	}
	if read != nil {
		s.namesRead(ctx, []contactEntry{*read})
		return
	}
	nick, changed := s.names.seen(id, name)
	if !changed {
		return
	}
	s.names.save(s.n.host.Logger())
	s.renameMember(ctx, id, nick)
}

// namesRead takes listContacts entries read (the contact list, a
// contact read again): a member whose nick they change is renamed in
// the rooms. A contact renamed in the phone's address book so goes by
// the contact's name there (nick ""), which the gateway's contact
// rename then changes; before, the profile's name they went by stayed.
func (s *Session) namesRead(ctx context.Context, cs []contactEntry) {
	renamed := s.names.learn(s, cs)
	s.names.save(s.n.host.Logger())
	ids := make([]string, 0, len(renamed))
	for id := range renamed {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s.renameMember(ctx, id, renamed[id])
	}
}

// renameMember tells member id's new nick as RENAMED in each group they
// are in, with their role and affiliation as they are.
func (s *Session) renameMember(ctx context.Context, id, nick string) {
	for _, chat := range s.groupsWith(id) {
		s.mu.Lock()
		var m *pb.Member
		if g := s.groups[chat]; g != nil {
			// A copy: the chat known may be in an event being encoded.
			c := proto.CloneOf(g.chat)
			for _, x := range c.Members {
				if x.UserId == id && x.Affiliation != pb.Affiliation_AFFILIATION_OUTCAST && x.Nick != nick {
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
