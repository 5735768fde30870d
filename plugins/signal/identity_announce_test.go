package signal

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// recordingHost is an sdk.Host that keeps what is emitted. hold, when
// set, is waited for by EmitDurable (a host slow to confirm), which
// sends on entered, when set, first; failing makes EmitDurable fail
// unconfirmed.
type recordingHost struct {
	mu      sync.Mutex
	evs     []*pb.Event
	hold    chan struct{}
	entered chan struct{}
	failing bool
}

func (h *recordingHost) Emit(ev *pb.Event) { h.mu.Lock(); h.evs = append(h.evs, ev); h.mu.Unlock() }
func (h *recordingHost) EmitWait(_ context.Context, ev *pb.Event) error {
	h.Emit(ev)
	return nil
}
func (h *recordingHost) EmitDurable(_ context.Context, ev *pb.Event) error {
	if h.hold != nil {
		if h.entered != nil {
			h.entered <- struct{}{}
		}
		<-h.hold
	}
	h.mu.Lock()
	failing := h.failing
	h.mu.Unlock()
	if failing {
		return errors.New("not confirmed")
	}
	h.Emit(ev)
	return nil
}
func (h *recordingHost) SendHistory(context.Context, *pb.HistoryBatch) error { return nil }
func (h *recordingHost) Logger() *slog.Logger                                { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// events is what was emitted so far.
func (h *recordingHost) events() []*pb.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*pb.Event(nil), h.evs...)
}

// moves is the IdentityEvents emitted, as "old -> new".
func (h *recordingHost) moves() []string {
	var out []string
	for _, ev := range h.events() {
		if id := ev.GetIdentity(); id != nil {
			out = append(out, id.OldUserId+" -> "+id.GetContact().GetUserId())
		}
	}
	return out
}

const (
	daveACI  = "dave0000-0000-4000-8000-000000000004"
	daveNum  = "+15550000004"
	daveMove = daveACI + " -> " + daveNum
)

// movingSession is a session that has shown dave by his ACI alone: his
// number, once learnt, is a move.
func movingSession(t *testing.T) (*Session, *recordingHost) {
	t.Helper()
	h := &recordingHost{}
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &Session{n: &Network{host: h}, loginID: "l", dir: dir, ids: loadIdentities(dir, nil), acc: Account{Number: "+15550000001"},
		chats: loadMsgChats(dir, log), edited: loadEditedTexts(dir, log), mine: loadMyReactions(dir, log), earlier: loadEarlierReactions(dir, log), pins: loadPins(dir, log), marks: loadReadMarks(dir, log), pendingReceipts: loadPendingReceipts(dir, log),
		groups: map[string]*group{}, pictures: map[string]string{}, typing: map[string]bool{}}
	s.polls.load(dir, log)
	if id := s.userID(context.Background(), "", daveACI, ""); id != daveACI {
		t.Fatalf("dave first known as %q, want his ACI", id)
	}
	if m := h.moves(); len(m) != 0 {
		t.Fatalf("moves before his number is known: %v", m)
	}
	return s, h
}

// wantMovedOnce checks dave's move was announced once and is pending no
// more: a connection now announces nothing again.
func wantMovedOnce(t *testing.T, s *Session, h *recordingHost) {
	t.Helper()
	if m := h.moves(); len(m) != 1 || m[0] != daveMove {
		t.Fatalf("moves %q, want dave's once, at once (pending %v)", m, s.ids.pending())
	}
	s.announceMoves(context.Background()) // as the next connection does
	if m := h.moves(); len(m) != 1 {
		t.Errorf("moves after the next connection %q: announced twice", m)
	}
	if p := s.ids.pending(); len(p) != 0 {
		t.Errorf("still pending after the announce: %v", p)
	}
}

func daveAddress() json.RawMessage {
	b, _ := json.Marshal(map[string]string{"number": daveNum, "uuid": daveACI})
	return b
}

// A contact known by ACI alone whose number a group's admin list gives
// is moved at once. chatOf reads the admins first: it dropped the move
// there, and the members' loop then found the number known and no move,
// so the move waited for the next connection while the contact's new
// messages came under the number (found by review).
func TestMoveAnnouncedFromAdminList(t *testing.T) {
	s, h := movingSession(t)
	chat := s.chatOf(context.Background(), groupEntry{ID: "Z3JvdXA=", Name: "G", Members: []json.RawMessage{daveAddress()}, Admins: []json.RawMessage{daveAddress()}})
	wantMovedOnce(t, s, h)
	if len(chat.Members) != 1 || chat.Members[0].UserId != daveNum || chat.Members[0].Affiliation != pb.Affiliation_AFFILIATION_ADMIN {
		t.Errorf("members %v, want dave by number, an admin", chat.Members)
	}
}

// The same contact listed as a member only (the control: this always
// worked).
func TestMoveAnnouncedFromMemberList(t *testing.T) {
	s, h := movingSession(t)
	s.chatOf(context.Background(), groupEntry{ID: "Z3JvdXA=", Name: "G", Members: []json.RawMessage{daveAddress()}})
	wantMovedOnce(t, s, h)
}

// A message mentioning the contact with their number moves them before
// the message (which names them by the number) is emitted.
func TestMoveAnnouncedFromMention(t *testing.T) {
	s, h := movingSession(t)
	body := "hi \uFFFC"
	s.receive(envelope{SourceNumber: "+15550000002", SourceUUID: "b0b00000-0000-4000-8000-000000000002", Timestamp: 1000,
		DataMessage: &dataMessage{Timestamp: 1000, Message: &body, Mentions: []mention{{Number: daveNum, UUID: daveACI, Start: 3, Length: 1}}}})
	wantMovedOnce(t, s, h)
	evs := h.events()
	var moveAt, msgAt = -1, -1
	for i, ev := range evs {
		switch {
		case ev.GetIdentity() != nil:
			moveAt = i
		case ev.GetMessage() != nil:
			msgAt = i
			if spans := ev.GetMessage().Spans; len(spans) != 1 || spans[0].UserId != daveNum {
				t.Errorf("mention spans %v, want dave by number", spans)
			}
		}
	}
	if moveAt < 0 || msgAt < 0 || moveAt > msgAt {
		t.Errorf("events %v: want dave's move before the message that names him by number", evs)
	}
}

// An edit's mention too.
func TestMoveAnnouncedFromEditMention(t *testing.T) {
	s, h := movingSession(t)
	body := "hi \uFFFC"
	s.receive(envelope{SourceNumber: "+15550000002", SourceUUID: "b0b00000-0000-4000-8000-000000000002", Timestamp: 2000,
		EditMessage: &editMessage{TargetSentTimestamp: 1000, DataMessage: dataMessage{Timestamp: 2000, Message: &body,
			Mentions: []mention{{Number: daveNum, UUID: daveACI, Start: 3, Length: 1}}}}})
	wantMovedOnce(t, s, h)
}

// A message read on another device, named by its sender's number and
// ACI (the chat unknown to the plugin), moves the sender at once.
func TestMoveAnnouncedFromReadElsewhere(t *testing.T) {
	s, h := movingSession(t)
	s.receive(envelope{SourceNumber: s.acc.Number, Timestamp: 3000,
		SyncMessage: &syncMessage{ReadMessages: []readMessage{{SenderNumber: daveNum, SenderUUID: daveACI, Timestamp: 1500}}}})
	wantMovedOnce(t, s, h)
	for _, ev := range h.events() {
		if ev.GetReceipt() != nil && ev.ChatId != daveNum {
			t.Errorf("the read receipt is in chat %q, want dave's by number", ev.ChatId)
		}
	}
}

// A message from the contact with their number moves them (as before).
func TestMoveAnnouncedFromSender(t *testing.T) {
	s, h := movingSession(t)
	body := "hello"
	s.receive(envelope{SourceNumber: daveNum, SourceUUID: daveACI, Timestamp: 4000,
		DataMessage: &dataMessage{Timestamp: 4000, Message: &body}})
	wantMovedOnce(t, s, h)
}

// A connection's announce of the pending moves and a move learnt at the
// same time (a message arriving) announce each move once: the second
// announcer waits for the first and finds it no longer pending.
func TestMoveAnnouncedOnceWhenConcurrent(t *testing.T) {
	s, h := movingSession(t)
	h.hold = make(chan struct{})
	_, moved := s.ids.userID(daveNum, daveACI, "") // learnt, pending
	if moved == nil {
		t.Fatal("no move learnt")
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); s.announceMoves(context.Background()) }()
	}
	time.Sleep(50 * time.Millisecond) // let them all reach the host
	close(h.hold)
	wg.Wait()
	wantMovedOnce(t, s, h)
}

// A move the host did not confirm stays pending and goes out, in order,
// with the next move learnt (not only at the next connection).
func TestMoveUnconfirmedAnnouncedWithNext(t *testing.T) {
	s, h := movingSession(t)
	const erinACI, erinNum = "e0000000-0000-4000-8000-000000000005", "+15550000005"
	s.userID(context.Background(), "", erinACI, "")
	h.failing = true
	s.userID(context.Background(), daveNum, daveACI, "")
	if m := h.moves(); len(m) != 0 {
		t.Fatalf("moves %q with the host failing", m)
	}
	if p := s.ids.pending(); len(p) != 1 {
		t.Fatalf("pending %v, want dave's move kept", p)
	}
	h.mu.Lock()
	h.failing = false
	h.mu.Unlock()
	s.userID(context.Background(), erinNum, erinACI, "")
	if m := h.moves(); len(m) != 2 || m[0] != daveMove || m[1] != erinACI+" -> "+erinNum {
		t.Fatalf("moves %q, want dave's then erin's", m)
	}
	if p := s.ids.pending(); len(p) != 0 {
		t.Errorf("still pending: %v", p)
	}
}

// The identities file is written through sdk.WriteFileDurably (synced,
// file and folder: a rename alone may leave an empty file after a power
// cut), whole, with no temporary file left behind; and read back.
func TestIdentitiesWrittenDurably(t *testing.T) {
	var wrote []string
	defer func(w func(string, []byte) error) { writeIdentities = w }(writeIdentities)
	writeIdentities = func(path string, b []byte) error {
		wrote = append(wrote, path)
		return sdk.WriteFileDurably(path, b)
	}
	dir := t.TempDir()
	ids := loadIdentities(dir, nil)
	ids.userID("", daveACI, "")
	ids.userID(daveNum, daveACI, "Dave")
	path := filepath.Join(dir, "identities.json")
	if len(wrote) != 2 || wrote[0] != path || wrote[1] != path {
		t.Fatalf("durable writes %q, want identities.json twice", wrote)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st idState
	if err := json.Unmarshal(b, &st); err != nil || st.Numbers[daveACI] != daveNum || len(st.Pending) != 1 {
		t.Fatalf("identities.json %s (%v), want dave's number and his move pending", b, err)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind (%v)", err)
	}
	again := loadIdentities(dir, nil)
	if p := again.pending(); len(p) != 1 || p[0].Old != daveACI || p[0].New != daveNum || p[0].Name != "Dave" {
		t.Errorf("read back: pending %v", p)
	}
}

// A reply quoting the contact's message names them by number and ACI;
// the plugin learns nothing from a quote's author, so it leaves no move
// pending unannounced either (were it to learn there through ids.userID
// alone, the move would wait for the next connection: this fails).
func TestQuoteLeavesNoMovePending(t *testing.T) {
	s, h := movingSession(t)
	body := "yes"
	s.receive(envelope{SourceNumber: "+15550000002", SourceUUID: "b0b00000-0000-4000-8000-000000000002", Timestamp: 5000,
		DataMessage: &dataMessage{Timestamp: 5000, Message: &body, Quote: &quote{ID: 1000, AuthorNumber: daveNum, AuthorUUID: daveACI}}})
	if p := s.ids.pending(); len(p) != 0 {
		t.Errorf("pending %v after a quote (moves %q): a move learnt and not announced", p, h.moves())
	}
	if m := h.moves(); len(m) > 1 {
		t.Errorf("moves %q: announced twice", m)
	}
}
