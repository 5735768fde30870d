package bridge

import (
	"context"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestHistoryIdleOwnBatches: a chat's idle timer is reset by its own
// batches only. A plugin sending one chat empty, not-done batches
// forever kept every other fetch open (each batch reset all the timers),
// so the fetch slots stayed taken and their history held.
func TestHistoryIdleOwnBatches(t *testing.T) {
	tr := newTestTransport(t)
	b := newBackfill(tr, 100)
	tr.hist = b
	b.idle = 300 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.resume(ctx, nil)
	tr.setLogin(store.Login{Transport: "echo", UserJID: "u@localhost", LoginID: "l"})

	a := chatAddr{"l", "a"}
	b.mu.Lock()
	b.beginLocked(a, 10, 0, false) // asked for; the plugin sends chat a nothing
	b.mu.Unlock()

	ended := func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.chats[a] == nil
	}
	// Chat b: an empty batch, not done, every tenth of the idle time,
	// for up to ten idle times.
	for i := 0; i < 100 && !ended(); i++ {
		hb := &pb.HistoryBatch{Seq: uint64(i + 1), LoginId: "l", ChatId: "b", Cursor: "c"}
		if err := b.store(ctx, hb); err != nil {
			t.Fatal(err)
		}
		time.Sleep(b.idle / 10)
	}
	if !ended() {
		t.Fatal("chat a's fetch stayed open while only chat b's batches came")
	}
	b.mu.Lock()
	_, bOpen := b.chats[chatAddr{"l", "b"}]
	b.mu.Unlock()
	if !bOpen {
		t.Error("chat b's fetch ended though its batches kept coming")
	}
}
