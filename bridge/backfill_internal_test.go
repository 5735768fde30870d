package bridge

import (
	"context"
	"fmt"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestHistoryIdleWhileLaneFull: while the History stream's reader waits
// for room in the history lane (here: the server confirms nothing), no
// batch can come, so a chat whose fetch is under way is not taken as
// quiet: that split its history in two deliveries, out of order. Once the
// reader is back, the idle timer runs again.
func TestHistoryIdleWhileLaneFull(t *testing.T) {
	tr := newTestTransport(t)
	b := newBackfill(tr, 100)
	tr.hist = b
	b.idle = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.resume(ctx, nil)
	b.lane.handle = func(ctx context.Context, _ []delivery) { <-ctx.Done() } // never confirmed
	tr.setLogin(store.Login{Transport: "echo", UserJID: "u@localhost", LoginID: "l"})

	a := chatAddr{"l", "a"}
	b.mu.Lock()
	fa := b.beginLocked(a, 10, 0, false) // asked for; its batches are still to come
	b.mu.Unlock()

	// Chat b's whole history in one batch, more than the lane takes.
	hb := &pb.HistoryBatch{Seq: 1, LoginId: "l", ChatId: "b", Done: true, Total: histQueued + 8}
	for i := range histQueued + 8 {
		hb.Events = append(hb.Events, &pb.Event{EventId: fmt.Sprint("h", i), TimestampUnixMicro: int64(i + 1),
			Sender: &pb.Sender{UserId: "b"}, Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: fmt.Sprint(i)}}})
	}
	stored := make(chan error, 1)
	go func() { stored <- b.store(ctx, hb) }()
	time.Sleep(5 * b.idle)
	select {
	case err := <-stored:
		t.Fatalf("store returned (%v) while the lane had no room", err)
	default:
	}
	b.mu.Lock()
	still := b.chats[a] == fa
	b.mu.Unlock()
	if !still {
		t.Fatal("chat a's fetch was taken as quiet while the History stream was not read")
	}
	if c, err := tr.db.GetCursor("echo", "l", "b"); err != nil || !c.Done || c.Stored != uint64(len(hb.Events)) {
		t.Fatalf("chat b's cursor %+v, %v: want done, with all stored before the lane filled", c, err)
	}

	cancel() // the reader goes back to the stream
	if err := <-stored; err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.mu.Lock()
		gone := b.chats[a] == nil
		b.mu.Unlock()
		if gone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("chat a's fetch never ended once the plugin stayed quiet")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
