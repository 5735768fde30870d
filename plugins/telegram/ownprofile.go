package telegram

import (
	"slices"
	"sync"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The user's own name changed on the phone (updateUserName of the
// account itself; updateUser with the account's new object): the rooms
// show it as the user's nick (each group's member list names the user by
// their Telegram name), so each room the user is in is told the user's
// new nick, a RENAMED of their own member, which the gateway shows as a
// nick change to the joined clients. Nothing else the gateway shows is
// the user's own profile: neither the own username nor the own picture
// (the account is not in its own contact list), so they are only kept.

// ownNick is the user's name as the rooms were last told it.
type ownNick struct {
	mu   sync.Mutex
	told string
}

// note keeps name as the one told.
func (o *ownNick) note(name string) {
	if name == "" {
		return
	}
	o.mu.Lock()
	o.told = name
	o.mu.Unlock()
}

// ownRenameEvents tells each room the user is in their new name, when it
// is not the one told: none told yet, nothing to change.
func (s *Session) ownRenameEvents() []*pb.Event {
	now := s.peers.name(s.self)
	s.own.mu.Lock()
	old := s.own.told
	if old == "" || now == "" || now == old {
		s.own.mu.Unlock()
		return nil
	}
	s.own.told = now
	s.own.mu.Unlock()
	var evs []*pb.Event
	for _, chat := range s.peers.groups() {
		evs = append(evs, &pb.Event{ChatId: chat, ChatType: s.peers.chatType(chat),
			Payload: &pb.Event_Member{Member: &pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED, Member: s.member(userID(s.self))}}})
	}
	return s.toTopics(evs)
}

// groups are the IDs of the basic groups, supergroups and channels the
// user is in, as cached, sorted.
func (p *peers) groups() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for id, c := range p.chats {
		if !c.Left && !c.Deactivated && c.MigratedTo == nil {
			out = append(out, chatID(id))
		}
	}
	for id, c := range p.channels {
		if !c.Left && !c.Min {
			out = append(out, channelID(id))
		}
	}
	slices.Sort(out)
	return out
}
