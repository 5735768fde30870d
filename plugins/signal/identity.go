package signal

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// identities maps Signal's two names of a person, the ACI (a UUID, always
// there) and the phone number (when they share it), to one user ID: the
// number when known, else the ACI. It remembers which ACIs it gave out as
// user IDs, so that when their number becomes known the contact moves
// (an IdentityEvent) instead of becoming a second one. Kept in the
// login's folder.
type identities struct {
	path string

	// announcing is held while the pending moves are announced: one
	// announcer at a time reads them, so that two (a connection's, a
	// message's) never both announce one, and moves go out in the order
	// learnt (a number, then another one for the same person).
	announcing sync.Mutex

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

// loadIdentities reads the identities of the login folder dir ("":
// memory only); log nil is slog.Default().
func loadIdentities(dir string, log *slog.Logger) *identities {
	ids := &identities{st: idState{Numbers: map[string]string{}, Bare: map[string]bool{}}}
	if dir == "" {
		return ids
	}
	ids.path = filepath.Join(dir, "identities.json")
	if st, ok := sdk.LoadStateFile[idState](ids.path, "the contacts' numbers are learnt again from their messages; a contact's move not yet announced is lost", log); ok {
		if st.Numbers != nil {
			ids.st.Numbers = st.Numbers
		}
		if st.Bare != nil {
			ids.st.Bare = st.Bare
		}
		ids.st.Pending = st.Pending
	}
	return ids
}

// writeIdentities replaces the identities file: synced, file and folder,
// as the pending moves' crash ordering needs (a move pending on disk
// before it is announced). A rename alone may leave an empty file after
// a power cut, and every number and pending move with it.
var writeIdentities = sdk.WriteFileDurably

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
	_ = writeIdentities(ids.path, b)
}

// userID is the user ID of the person with this number and ACI (either
// may be ""), a move it learns announced before it returns: wherever a
// number is learnt (a message's sender, a group's members or admins, a
// mention, a read on another device), the contact is moved before
// anything names them by it. Left pending, the move would wait for the
// next connection and the chat be split meanwhile: new messages under
// the number, the gateway's contact, pins and polls under the ACI.
func (s *Session) userID(ctx context.Context, number, aci, name string) string {
	id, moved := s.ids.userID(number, aci, name)
	if moved != nil {
		s.announceMoves(ctx)
	}
	return id
}

// userID is the user ID of the person with this number and ACI (either
// may be ""), and the identity move to announce when this is how an
// ACI-only contact's number became known (nil otherwise); the move is
// also kept pending until announced (Session.userID announces it).
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
	case number != "" && (number == self.Number || slices.Contains(self.Former, number)), aci != "" && aci == self.ACI:
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

// identityMoved announces moved, a move ids.userID returned (and so
// pending): with any other pending, in the order learnt, once only.
func (s *Session) identityMoved(ctx context.Context, _ *pb.IdentityEvent) {
	s.announceMoves(ctx)
}

// announceMoves announces the moves pending: those just learnt, and
// those learnt and not announced before the last stop (a move is
// idempotent: one announced twice moves nothing, but each is announced
// once unless the host failed to confirm it).
func (s *Session) announceMoves(ctx context.Context) {
	s.ids.announcing.Lock()
	defer s.ids.announcing.Unlock()
	for _, m := range s.ids.pending() {
		if !s.announceMove(ctx, &pb.IdentityEvent{OldUserId: m.Old, Contact: &pb.Contact{UserId: m.New, Phone: m.New, Name: m.Name}}) {
			return // the rest after it, in order, next time
		}
	}
}

// announceMove announces a contact's move to a new user ID, their
// chat's pins, polls and read mark moved first: the gateway asks for the chat, and
// votes come, under the new ID from then on. Once the host has it on
// disk the move is no longer pending (false: it was not confirmed).
// Called with ids.announcing held.
func (s *Session) announceMove(ctx context.Context, moved *pb.IdentityEvent) bool {
	s.pins.moved(moved.OldUserId, moved.GetContact().GetUserId())
	s.polls.moved(moved.OldUserId, moved.GetContact().GetUserId())
	s.marks.moved(moved.OldUserId, moved.GetContact().GetUserId())
	s.pendingReceipts.moved(moved.OldUserId, moved.GetContact().GetUserId())
	ev := &pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(), Payload: &pb.Event_Identity{Identity: moved}}
	if err := s.n.host.EmitDurable(ctx, ev); err != nil {
		s.n.host.Logger().Warn("signal: a contact's move was not confirmed on disk; announced again with the next one learnt or at the next connection", "login", s.loginID, "err", err)
		return false
	}
	s.ids.announced(moved.OldUserId, moved.GetContact().GetUserId())
	s.numberChanged(ctx, moved)
	return true
}

// numberChanged tells, in a contact's chat, that they changed their
// phone number, as Signal's apps do: their ACI stays, a message of
// theirs names a new number. The move takes their roster entry and chat
// to the new number's address; without a word the user found the same
// name under a new address, and their chat with it empty. Only for a
// contact (of the list the gateway has): someone met in a group only
// gets no chat for it. The notice is named by the move, so that one
// announced again is no second notice.
func (s *Session) numberChanged(ctx context.Context, moved *pb.IdentityEvent) {
	old, to := moved.OldUserId, moved.GetContact().GetUserId()
	if !strings.HasPrefix(old, "+") || !strings.HasPrefix(to, "+") {
		return // an ACI's number learnt: no change
	}
	name, contact := s.profiles.moved(old, to) // contacts.go
	if !contact {
		return
	}
	who := cmp.Or(name, moved.GetContact().GetName(), old)
	s.emit(ctx, &pb.Event{ChatId: to, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, Sender: &pb.Sender{UserId: to, Name: name},
		EventId: "number-" + old + "-" + to, Payload: &pb.Event_Message{Message: &pb.MessageEvent{
			Text: "📱 " + who + " changed their phone number from " + old + " to " + to + ": your chat with them goes on at their new number."}}}, true)
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
