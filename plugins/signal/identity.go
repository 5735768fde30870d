package signal

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// identities maps Signal's two names of a person, the ACI (a UUID, always
// there) and the phone number (when they share it), to one user ID: the
// number when known, else the ACI. It remembers which ACIs it gave out as
// user IDs, so that when their number becomes known the contact moves
// (an IdentityEvent) instead of becoming a second one. Kept in the
// login's folder.
type identities struct {
	path string

	mu sync.Mutex
	st idState
}

type idState struct {
	// Numbers maps an ACI to its number.
	Numbers map[string]string `json:"numbers"`
	// Bare are the ACIs given out as user IDs (their number unknown).
	Bare map[string]bool `json:"bare"`
	// Pending are the moves learnt and not yet announced: kept with
	// what they were learnt from, so that a kill between the two does
	// not lose one (announced again at the next connection).
	Pending []pendingMove `json:"pending,omitempty"`
}

// pendingMove is a contact's move to a new user ID not yet announced.
type pendingMove struct {
	Old  string `json:"old"`
	New  string `json:"new"`
	Name string `json:"name,omitempty"`
}

func loadIdentities(dir string) *identities {
	ids := &identities{st: idState{Numbers: map[string]string{}, Bare: map[string]bool{}}}
	if dir == "" {
		return ids
	}
	ids.path = filepath.Join(dir, "identities.json")
	if b, err := os.ReadFile(ids.path); err == nil {
		var st idState
		if json.Unmarshal(b, &st) == nil {
			if st.Numbers != nil {
				ids.st.Numbers = st.Numbers
			}
			if st.Bare != nil {
				ids.st.Bare = st.Bare
			}
			ids.st.Pending = st.Pending
		}
	}
	return ids
}

// save writes the state; called with mu held. A failure costs a second
// IdentityEvent after a restart at worst, which the host takes as a no-op.
func (ids *identities) save() {
	if ids.path == "" {
		return
	}
	b, err := json.Marshal(ids.st)
	if err != nil {
		return
	}
	tmp := ids.path + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		os.Rename(tmp, ids.path)
	}
}

// userID is the user ID of the person with this number and ACI (either
// may be ""), and the identity move to announce when this is how an
// ACI-only contact's number became known (nil otherwise).
func (ids *identities) userID(number, aci, name string) (string, *pb.IdentityEvent) {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	switch {
	case number != "" && aci != "":
		old, had := ids.st.Numbers[aci]
		if had && old == number {
			return number, nil
		}
		ids.st.Numbers[aci] = number
		var moved *pb.IdentityEvent
		switch {
		case ids.st.Bare[aci]:
			delete(ids.st.Bare, aci)
			moved = &pb.IdentityEvent{OldUserId: aci, Contact: &pb.Contact{UserId: number, Phone: number, Name: name}}
		case had && old != "" && old != number:
			// A new number for the same person.
			moved = &pb.IdentityEvent{OldUserId: old, Contact: &pb.Contact{UserId: number, Phone: number, Name: name}}
		}
		if moved != nil {
			ids.st.Pending = append(ids.st.Pending, pendingMove{Old: moved.OldUserId, New: number, Name: name})
		}
		ids.save()
		return number, moved
	case number != "":
		return number, nil
	case aci != "":
		if n := ids.st.Numbers[aci]; n != "" {
			return n, nil
		}
		if !ids.st.Bare[aci] {
			ids.st.Bare[aci] = true
			ids.save()
		}
		return aci, nil
	}
	return "", nil
}

// lookup is the user ID of the person with this number and ACI, as
// userID gives it, without learning anything: for a message named by its
// author (a poll's), who was seen before. The account itself is selfID.
func (ids *identities) lookup(number, aci string, self Account) string {
	switch {
	case number != "" && number == self.Number, aci != "" && aci == self.ACI:
		return self.ID()
	case number != "":
		return number
	case aci == "":
		return ""
	}
	ids.mu.Lock()
	defer ids.mu.Unlock()
	if n := ids.st.Numbers[aci]; n != "" {
		return n
	}
	return aci
}

// identityMoved announces a contact's move to a new user ID, their
// chat's pins and polls moved first: the gateway asks for the chat, and
// votes come, under the new ID from then on. Once the host has it on
// disk the move is no longer pending.
func (s *Session) identityMoved(ctx context.Context, moved *pb.IdentityEvent) {
	s.pins.moved(moved.OldUserId, moved.GetContact().GetUserId())
	s.polls.moved(moved.OldUserId, moved.GetContact().GetUserId())
	ev := &pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(), Payload: &pb.Event_Identity{Identity: moved}}
	if err := s.n.host.EmitDurable(ctx, ev); err != nil {
		s.n.host.Logger().Warn("signal: a contact's move was not confirmed on disk; announced again at the next connection", "login", s.loginID, "err", err)
		return
	}
	s.ids.announced(moved.OldUserId, moved.GetContact().GetUserId())
}

// announceMoves announces the moves learnt and not announced before the
// last stop (a move is idempotent: one announced twice moves nothing).
func (s *Session) announceMoves(ctx context.Context) {
	for _, m := range s.ids.pending() {
		s.identityMoved(ctx, &pb.IdentityEvent{OldUserId: m.Old, Contact: &pb.Contact{UserId: m.New, Phone: m.New, Name: m.Name}})
	}
}

// pending is the moves not announced yet.
func (ids *identities) pending() []pendingMove {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	return slices.Clone(ids.st.Pending)
}

// announced forgets a pending move the host has.
func (ids *identities) announced(old, to string) {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	n := len(ids.st.Pending)
	ids.st.Pending = slices.DeleteFunc(ids.st.Pending, func(m pendingMove) bool { return m.Old == old && m.New == to })
	if len(ids.st.Pending) != n {
		ids.save()
	}
}
