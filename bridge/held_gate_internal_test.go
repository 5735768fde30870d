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
