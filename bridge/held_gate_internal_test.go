package bridge

import (
	"context"
	"testing"
	"time"

	"passerelle.im/passerelle/store"
)

// TestReplayGate: a live message of a chat with records an earlier
// process left waits until the replay handed the chat's last one over;
// other chats' and the replay's own do not wait.
func TestReplayGate(t *testing.T) {
	tr := newTestTransport(t)
	ctx := context.Background()
	var hs []store.HeldMessage
	for _, chat := range []string{"bob", "bob", "carol"} {
		h := store.HeldMessage{LoginID: "l", ChatID: chat, Body: "x"}
		seq, err := tr.db.PutHeld(ctx, "echo", h)
		must(t, err)
		h.Seq = seq
		hs = append(hs, h)
	}
	// An earlier process's: the store opened again.
	must(t, tr.db.Close())
	db, err := store.Open(tr.db.Path())
	must(t, err)
	t.Cleanup(func() { db.Close() })
	tr.db = db
	passed := func(chat string, c context.Context) <-chan struct{} {
		ch := make(chan struct{})
		go func() {
			tr.waitReplayed(c, "l", chat)
			close(ch)
		}()
		return ch
	}
	waitFor := func(what string, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s still waits", what)
		}
	}
	waitFor("a chat without records", passed("dave", ctx))
	waitFor("the replay itself", passed("bob", context.WithValue(ctx, replayKey{}, true)))
	bob, carol := passed("bob", ctx), passed("carol", ctx)
	got, err := tr.earlierRecords()
	if err != nil || len(got) != 3 {
		t.Fatalf("earlier records %v, %v", got, err)
	}
	tr.replayedOne(hs[0])
	tr.replayedOne(hs[2])
	waitFor("carol, replayed", carol)
	select {
	case <-bob:
		t.Fatal("bob passed with one of its records not replayed")
	default:
	}
	tr.replayedOne(hs[1])
	waitFor("bob, replayed", bob)
	tr.replayedAll()
	if n := tr.gate.pending.Load(); n != 0 {
		t.Errorf("%d chats still closed", n)
	}
}

// TestReflectTicketAfterReplay: a room message sent just after a restart
// takes its place in the room's reflections only once the room's message
// an earlier process left went to the plugin, so the one sent before the
// restart is reflected (and archived, by arrival) first. The live one
// took its ticket at once and was reflected first when the plugin
// answered it first (TestChaos: an archive out of the order sent).
func TestReflectTicketAfterReplay(t *testing.T) {
	tr, s, r := roomFixture(t)
	ctx := context.Background()
	h := store.HeldMessage{LoginID: s.LoginID(), ChatID: r.chatID, Room: true, Body: "sent before"}
	seq, err := tr.db.PutHeld(ctx, "echo", h)
	must(t, err)
	h.Seq = seq
	must(t, tr.db.Close()) // an earlier process's record: the store opened again
	db, err := store.Open(tr.db.Path())
	must(t, err)
	t.Cleanup(func() { db.Close() })
	tr.db = db
	if _, err := tr.earlierRecords(); err != nil {
		t.Fatal(err)
	}
	live := make(chan uint64, 1)
	go func() { live <- s.reflectTicket(ctx, r) }()
	select {
	case tk := <-live:
		t.Fatalf("the live message took ticket %d before the replay", tk)
	case <-time.After(200 * time.Millisecond):
	}
	replayed := s.reflectTicket(context.WithValue(ctx, replayKey{}, true), r)
	tr.replayedOne(h)
	select {
	case tk := <-live:
		if tk <= replayed {
			t.Errorf("live ticket %d, replayed %d: the replayed goes first", tk, replayed)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the live message still waits after the replay")
	}
}
