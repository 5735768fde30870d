package echo

import (
	"slices"
	"strconv"
	"strings"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Two texts in a direct chat show contract v2's IdentityEvent and
// ProgressEvent:
//
//	identity NEWID   the contact is NEWID from now on, as a WhatsApp
//	                 contact known by its LID becomes its phone number:
//	                 the network says so twice, as a plugin replaying the
//	                 event after a crash would; the old ID is no chat any
//	                 more (NOT_FOUND), and in the echo room the member
//	                 moves too (Echo One repeats under its new ID)
//	progress N       a "history" task of N chats runs, one chat every
//	                 ProgressStep

// ProgressStep is how often the "progress" task moves on.
const ProgressStep = 50 * time.Millisecond

// moveContact makes the contact oldID newID and tells the gateway.
func (s *Session) moveContact(oldID, newID string) {
	newID = strings.TrimSpace(newID)
	if newID == "" || newID == oldID {
		return
	}
	s.n.mu.Lock()
	cs := s.n.accounts[s.loginID]
	c := cs[oldID]
	if c == nil {
		c = &contact{id: oldID, name: oldID}
	}
	delete(cs, oldID)
	moved := &contact{id: newID, name: c.name, presence: c.presence}
	if cs != nil {
		cs[newID] = moved
	}
	g := s.n.groupLocked(s.loginID)
	if i := slices.Index(g.members, oldID); i >= 0 {
		g.members[i] = newID
	}
	if s.n.moved == nil {
		s.n.moved = map[string]map[string]string{}
	}
	if s.n.moved[s.loginID] == nil {
		s.n.moved[s.loginID] = map[string]string{}
	}
	s.n.moved[s.loginID][oldID] = newID
	if oldID == s.repeater() {
		s.n.repeaters.Store(s.loginID, newID)
	}
	s.n.mu.Unlock()
	for range 2 {
		s.emit(&pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(),
			Payload: &pb.Event_Identity{Identity: &pb.IdentityEvent{OldUserId: oldID, Contact: moved.proto()}}})
	}
}

// repeater is Echo One's ID in the group: RoomRepeater, or the ID it
// moved to.
func (s *Session) repeater() string {
	if id, ok := s.n.repeaters.Load(s.loginID); ok {
		return id.(string)
	}
	return RoomRepeater
}

// movedAway refuses a chat whose contact moved to another ID.
func (s *Session) movedAway(chatID string) error {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	if to, ok := s.n.moved[s.loginID][chatID]; ok {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s is %s now", chatID, to)
	}
	return nil
}

// progress runs a "history" task of n chats.
func (s *Session) progress(arg string) {
	n, err := strconv.Atoi(strings.TrimSpace(arg))
	if err != nil || n < 1 {
		return
	}
	go func() {
		for i := 0; i <= n; i++ {
			s.emit(&pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(),
				Payload: &pb.Event_Progress{Progress: &pb.ProgressEvent{Task: "history", Unit: "chats", Done: int64(i), Total: int64(n)}}})
			if i < n {
				time.Sleep(ProgressStep)
			}
		}
	}()
}
