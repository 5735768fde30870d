package bridge

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestSavedStateStoredBeforeConnect: the plugin's saved states the outbox
// kept (their delivery cut short by the last stop) are stored before the
// plugin connects the login at the next start, the newest winning. The
// real echo plugin connects with the newer one (its account then has
// the contact c5, which only that state gives it), and the older one
// does not undo it after. Stored only at their delivery, which may come
// after the Connect (here it waits for the plugin's start), they gave
// the plugin the state from before both.
func TestSavedStateStoredBeforeConnect(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "passerelle.db"))
	must(t, err)
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	must(t, db.PutLogin(ctx, store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "alice",
		SavedState: []byte(`{"username":"alice"}`)}))
	newer := `{"username":"alice","contacts":6}`
	var evs []store.InboundEvent
	for i, state := range []string{`{"username":"alice","contacts":4}`, newer} {
		ev := &pb.Event{Seq: uint64(i + 1), LoginId: "alice",
			Payload: &pb.Event_SavedState{SavedState: &pb.SavedStateEvent{SavedState: []byte(state)}}}
		payload, err := encodeOutbox("", ev)
		must(t, err)
		evs = append(evs, store.InboundEvent{Seq: ev.Seq, LoginID: "alice", Payload: payload})
	}
	_, _, err = db.CommitEvents(ctx, "echo", evs)
	must(t, err)

	tr, _ := realTransport(t, dir, db)
	deliver := tr.out.handle
	tr.out.handle = func(ctx context.Context, d delivery) {
		if d.ev.GetSavedState() != nil {
			// A delivery slower than the plugin's start.
			tr.host.WaitReady(ctx)
		}
		deliver(ctx, d)
	}
	stop := runTransport(t, tr)
	client, err := tr.client(ctx) // once the logins are connected
	must(t, err)
	list, err := client.ContactList(ctx, &pb.LoginRef{LoginId: "alice"})
	must(t, err)
	var ids []string
	for _, c := range list.Contacts {
		ids = append(ids, c.UserId)
	}
	if !slices.Contains(ids, "c5") {
		t.Errorf("the plugin's account has the contacts %v: it connected with an older state than the newest saved, %s", ids, newer)
	}
	stop()

	if l, err := db.GetLogin("echo", "alice@localhost"); err != nil || string(l.SavedState) != newer {
		t.Errorf("stored saved state %q (%v), want the newer %s", l.SavedState, err, newer)
	}
	// The saved states left the outbox. The plugin's own events of the
	// run may stay, by design: the stop came right after the Connect,
	// maybe before its CONNECTED was delivered (then delivered again).
	out, err := db.Outbox("echo")
	must(t, err)
	for _, e := range out {
		_, ev, err := decodeOutbox(e.Payload)
		if err != nil || ev.GetSavedState() != nil {
			t.Errorf("outbox after the start holds entry %d: %v (%v), want no saved state", e.Key, ev, err)
		}
	}
}

// TestOlderSavedStateNotStoredOverNewer: a saved state delivered and
// stored, whose removal from the outbox failed (the disk full), does not
// come back at the next start over a newer one stored and removed after
// the store recovered. Before, the failed removal was dropped: the older
// entry stayed alone in the outbox, and the next start stored it
// (savedStatesFirst), the plugin connecting with a state it had replaced.
func TestOlderSavedStateNotStoredOverNewer(t *testing.T) {
	dir, db, l := smallDiskLogin(t, "first")
	ctx := context.Background()
	keys := commitSavedStates(t, db, "older", "newer")
	tr, _ := configuredTransport(t, dir, db, "/bin/true") // the plugin is never run
	s := tr.setLogin(l)
	loopCtx, stop := context.WithCancel(ctx)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		tr.outboxDoneLoop(loopCtx, nil)
	}()

	// "older" delivered and stored; its removal meets a full disk.
	s.keepState(ctx, []byte("older"))
	fillers := fullStore(t, db, dir)
	tr.markDone(ctx, delivery{key: keys[0]})
	awaitStoreFailure(t, tr, "the removal of the older state")
	for _, f := range fillers {
		must(t, os.Remove(f))
	}
	// "newer" delivered and stored once the disk has room, and removed.
	s.keepState(ctx, []byte("newer"))
	tr.markDone(ctx, delivery{key: keys[1]})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		out, err := db.Outbox("echo")
		must(t, err)
		if !slices.ContainsFunc(out, func(e store.OutboxEntry) bool { return e.Key == keys[1] }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the newer state's entry still in the outbox 10 s after the disk had room")
		}
	}
	stop()
	<-ended

	// The next start.
	backlog, err := tr.loadOutbox()
	must(t, err)
	tr.savedStatesFirst(ctx, backlog)
	if got, err := db.GetLogin("echo", "alice@localhost"); err != nil || string(got.SavedState) != "newer" {
		t.Errorf("stored saved state after the next start %q (%v), want the newer", got.SavedState, err)
	}
}

// fullStore fills the disk of db, in dir, until the store refuses a
// write, and returns the files that fill it. The log's last page may
// take a few small writes more, and a failed write starts a new log,
// the old one's space freed: removals of no entry are written until
// three in a row fail.
func fullStore(t *testing.T, db *store.DB, dir string) []string {
	t.Helper()
	var fillers []string
	for failed, i := 0, 0; failed < 3; i++ {
		if i == 100000 {
			t.Fatal("the store still takes writes with its disk full")
		}
		fillers = append(fillers, fillDiskAs(t, dir, fmt.Sprintf("filler%d", len(fillers))))
		if err := db.OutboxDone(context.Background(), "echo", []uint64{math.MaxUint64}); err != nil {
			failed++
		} else {
			failed = 0
		}
	}
	return fillers
}

// fillDisk writes a file into dir until its filesystem is full, and
// returns its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	return fillDiskAs(t, dir, "filler")
}

// fillDiskAs is fillDisk with the file's name.
func fillDiskAs(t *testing.T, dir, name string) string {
	t.Helper()
	filler := filepath.Join(dir, name)
	f, err := os.Create(filler)
	must(t, err)
	defer f.Close()
	buf := make([]byte, 64<<10)
	for n := len(buf); n > 0; n /= 2 {
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				break
			}
		}
	}
	return filler
}

// TestSavedStateFirstKeptWhenStoreFails: a saved state the outbox kept
// whose store write fails at the next start (the disk full) is the
// login's all the same for the Connect that follows, and its delivery,
// which waits the store out, is the only one left: an older saved state
// of the login delivered before the Connect would put that older state
// back. Before, the failed write left the session with the stored
// state from before both, which the Connect handed the plugin (a token
// it had replaced, say).
func TestSavedStateFirstKeptWhenStoreFails(t *testing.T) {
	dir, db, l := smallDiskLogin(t, "first")
	ctx := context.Background()
	commitSavedStates(t, db, "older", "newer")
	tr, _ := configuredTransport(t, dir, db, "/bin/true") // the plugin is never run
	s := tr.setLogin(l)
	backlog, err := tr.loadOutbox()
	must(t, err)

	fillers := fullStore(t, db, dir)
	kept, _ := tr.savedStatesFirst(ctx, backlog)
	if got := s.Login().SavedState; string(got) != "newer" {
		t.Errorf("the session's saved state, for the Connect at the start, is %q, want the newest kept, newer", got)
	}
	var states []string
	for _, d := range kept {
		states = append(states, string(d.ev.GetSavedState().GetSavedState()))
	}
	if !slices.Equal(states, []string{"newer"}) {
		t.Errorf("saved states left to deliver %q, want only the newest", states)
	}

	// Delivered once the disk has room, it is stored.
	for _, f := range fillers {
		must(t, os.Remove(f))
	}
	for _, d := range kept {
		tr.deliverNow(ctx, d)
	}
	if got, err := db.GetLogin("echo", "alice@localhost"); err != nil || string(got.SavedState) != "newer" {
		t.Errorf("stored saved state %q (%v), want newer", got.SavedState, err)
	}
}

// commitSavedStates puts saved states of alice's login in the outbox, in
// that order, and returns their keys.
func commitSavedStates(t *testing.T, db *store.DB, states ...string) []uint64 {
	t.Helper()
	var evs []store.InboundEvent
	for i, state := range states {
		ev := &pb.Event{Seq: uint64(i + 1), LoginId: "alice", Payload: &pb.Event_SavedState{SavedState: &pb.SavedStateEvent{SavedState: []byte(state)}}}
		payload, err := encodeOutbox("", ev)
		must(t, err)
		evs = append(evs, store.InboundEvent{Seq: ev.Seq, LoginID: "alice", Payload: payload})
	}
	_, keys, err := db.CommitEvents(context.Background(), "echo", evs)
	must(t, err)
	return keys
}
