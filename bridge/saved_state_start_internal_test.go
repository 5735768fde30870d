package bridge

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

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
	if out, err := db.Outbox("echo"); err != nil || len(out) != 0 {
		t.Errorf("outbox after the start: %d entries (%v), want none", len(out), err)
	}
}
