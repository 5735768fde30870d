package bridge

import (
	"maps"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A chat answer (ChatList, ChatInfo) is taken beside the chat's worker,
// which takes the network's member events: an answer the network gave
// before an event, taken after it, undid the event (a member who left
// came back, one who joined was gone again, a renamed member, or the
// user, got the old nick back; the login's room sync, under way right
// after a start while the group's members came and went, did so).
//
// So the session counts the member events it takes (newsClock), each
// room notes the count at its last event about each member, and a
// question notes the count before it is asked: in an answer asked
// before a member's last event, that member is as the room has it (the
// event is newer); the answer's news of the other members stands. The
// user's own entry keeps the room's nick and standing. A whole member
// list in an event (a chat update) is newer than every member of an
// answer asked before it.

// newsClock counts the network's member events in a session's rooms and
// the questions whose answers are under way, to tell an answer older
// than an event.
type newsClock struct {
	mu    sync.Mutex
	count uint64
	// asking: how many questions in flight were asked at each count.
	asking map[uint64]int
}

// tick counts a member event; it returns the event's stamp.
func (c *newsClock) tick() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.count++
	return c.count
}

// ask notes a question about to be asked; it returns the count to give
// its answer (setRoomFromAnswer) and to give answered once it is taken.
func (c *newsClock) ask() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.asking == nil {
		c.asking = map[uint64]int{}
	}
	c.asking[c.count]++
	return c.count
}

// answered notes the answer of a question asked at asked taken (or none
// to come).
func (c *newsClock) answered(asked uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.asking[asked]--; c.asking[asked] <= 0 {
		delete(c.asking, asked)
	}
}

// floor is a stamp no answer to come is older than: an event stamped at
// or below it needs no guard (its stamp may be forgotten).
func (c *newsClock) floor() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	low := c.count
	for asked := range c.asking {
		low = min(low, asked)
	}
	return low
}

// noteMemberNewsLocked stamps an event of the network about member id of
// r (selfKey: the user); the stamps no answer under way is older than
// are forgotten, so that a busy group's comings and goings are not all
// kept. Call with r.mu held.
func (s *session) noteMemberNewsLocked(r *room, id string) {
	floor := s.rooms.news.floor()
	for k, at := range r.memberNews {
		if at <= floor {
			delete(r.memberNews, k)
		}
	}
	if r.memberNews == nil {
		r.memberNews = map[string]uint64{}
	}
	r.memberNews[id] = s.rooms.news.tick()
}

// freshMembersLocked is c, a chat answer asked when the session's news
// count was asked, with the members the room heard of since as the room
// has them: none of them when an event gave the whole list since, else
// each member with an event since as the room knows them (gone, or on
// the ban list, or their entry), and the user without the answer's nick
// and standing. c itself is left as it was (the answer may be shared).
// Call with r.mu held.
func (s *session) freshMembersLocked(r *room, c *pb.Chat, asked uint64) *pb.Chat {
	if len(c.Members) == 0 {
		return c
	}
	if r.listNews > asked {
		c = proto.CloneOf(c)
		c.Members = nil // not listed: the room's list stands
		return c
	}
	newer := map[string]bool{}
	for id, at := range r.memberNews {
		if at > asked {
			newer[id] = true
		}
	}
	if len(newer) == 0 {
		return c
	}
	c = proto.CloneOf(c)
	marked := anySelf(c.Members)
	kept := c.Members[:0]
	for _, m := range c.Members {
		switch {
		case s.isSelfLocked(r, m, marked):
			if newer[selfKey] {
				m.Nick = "" // no nick: the room's stands (takeSelfLocked)
				m.Affiliation, m.Role = r.selfAff, r.selfRole
			}
		case newer[m.GetUserId()]:
			continue // as the room has them, below
		}
		kept = append(kept, m)
	}
	for _, id := range slices.Sorted(maps.Keys(newer)) {
		if m, ok := r.members[id]; ok {
			kept = append(kept, proto.CloneOf(m))
		} else if _, ok := r.banned[id]; ok {
			kept = append(kept, &pb.Member{UserId: id, Affiliation: pb.Affiliation_AFFILIATION_OUTCAST})
		}
	}
	c.Members = kept
	return c
}
