package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"

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

// TestHistoryBadBatch: a batch the store refuses (here: not done, and no
// cursor to resume from) is acknowledged with a clear log line and
// nothing stored, not retried forever; an invalid event in a good batch
// is refused alone and the others are stored.
func TestHistoryBadBatch(t *testing.T) {
	tr := newTestTransport(t)
	var logs syncbuf.Buffer
	tr.log = slog.New(slog.NewTextHandler(&logs, nil))
	b := newBackfill(tr, 100)
	tr.hist = b
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.resume(ctx, nil)
	var got []delivery
	var mu sync.Mutex
	b.lane.handle = func(_ context.Context, ds []delivery) {
		mu.Lock()
		got = append(got, ds...)
		mu.Unlock()
		for _, d := range ds {
			d.written = new(atomic.Bool)
			b.unconfirmed.Store(d.written, struct{}{})
			b.confirmed(d)
		}
	}
	tr.setLogin(store.Login{Transport: "echo", UserJID: "u@localhost", LoginID: "l"})
	msg := func(id string) *pb.Event {
		return &pb.Event{EventId: id, TimestampUnixMicro: 1, Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: id}}}
	}

	done := make(chan error, 1)
	go func() {
		done <- b.store(ctx, &pb.HistoryBatch{Seq: 1, LoginId: "l", ChatId: "c", Events: []*pb.Event{msg("m1")}})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("a refused batch is answered with %v: the host would not acknowledge it", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a batch the store refuses is retried instead of dropped")
	}
	if !strings.Contains(logs.String(), "history batch refused by the store") || !strings.Contains(logs.String(), "resume") {
		t.Errorf("no clear log line for the refused batch:\n%s", logs.String())
	}
	if _, err := tr.db.GetCursor("echo", "l", "c"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused batch moved the cursor: %v", err)
	}

	// A NUL byte in one event's ID: that event alone is refused.
	err := b.store(ctx, &pb.HistoryBatch{Seq: 2, LoginId: "l", ChatId: "c", Cursor: "k", Done: true,
		Events: []*pb.Event{msg("m1"), msg("bad\x00id"), msg("m3")}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := tr.db.GetCursor("echo", "l", "c")
	if err != nil || !c.Done || c.Stored != 2 {
		t.Fatalf("cursor %+v, %v: want done with the 2 good events", c, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d history messages handed to delivery, want the 2 good ones", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if got[0].ev.EventId != "m1" || got[1].ev.EventId != "m3" || got[0].key == 0 {
		t.Errorf("delivered %v, %v", got[0].ev.EventId, got[1].ev.EventId)
	}
}
