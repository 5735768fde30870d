package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestOutboxCleanupFailingNotPerDelivery: while the store fails the
// outbox cleanup, the removals kept for the retry are tried again with
// the next tick, not at each delivery once a batch's worth wait. Before,
// past 512 kept keys every delivered event tried the whole growing batch
// again: a store write per message for as long as the disk stayed full.
func TestOutboxCleanupFailingNotPerDelivery(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "passerelle.db"))
	must(t, err)
	must(t, db.Close()) // every write fails from now
	tr := &transport{name: "echo", db: db, doneKeys: make(chan delivery), log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		tr.outboxDoneLoop(ctx, nil)
	}()
	const delivered = 2000
	for k := range uint64(delivered) {
		tr.markDone(ctx, delivery{key: k + 1})
	}
	cancel()
	<-ended
	tr.storeFails.mu.Lock()
	var failed int
	if k := tr.storeFails.kinds["outbox cleanup"]; k != nil {
		failed = k.failed
	}
	tr.storeFails.mu.Unlock()
	if failed == 0 {
		t.Fatal("no failed cleanup counted: the store did not fail")
	}
	// A tick's retries (100 ms each) and the stop's: a handful. One a
	// delivery past the first batch would be 1489 and more.
	if failed > delivered/8 {
		t.Errorf("%d failed cleanups for %d delivered events: tried again at each delivery", failed, delivered)
	}
}

// TestOutboxKeptRemovalsBounded: while the store fails the outbox
// cleanup, the removals kept for its retry stop growing at a bound
// (maxKeptRemovals): the events delivered past it stay in the outbox,
// delivered again at the next start, and the log says so; a saved
// state's removal is kept all the same, so that an older one never
// stays while a newer one leaves. Once the store works, the kept ones
// leave. Before, each delivered event added 8 bytes for as long as the
// store failed.
func TestOutboxKeptRemovalsBounded(t *testing.T) {
	dir, db, _ := smallDiskLogin(t, "first")
	ctx := context.Background()
	const bound, delivered, savedAt = 4, 12, 9
	old := maxKeptRemovals
	maxKeptRemovals = bound
	t.Cleanup(func() { maxKeptRemovals = old })
	var evs []*pb.Event
	var in []store.InboundEvent
	for i := range delivered {
		ev := &pb.Event{Seq: uint64(i + 1), LoginId: "alice", ChatId: "bob", Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: fmt.Sprint(i)}}}
		if i == savedAt {
			ev = &pb.Event{Seq: uint64(i + 1), LoginId: "alice", Payload: &pb.Event_SavedState{SavedState: &pb.SavedStateEvent{SavedState: []byte("state")}}}
		}
		payload, err := encodeOutbox("", ev)
		must(t, err)
		evs = append(evs, ev)
		in = append(in, store.InboundEvent{Seq: ev.Seq, LoginID: "alice", Payload: payload})
	}
	_, keys, err := db.CommitEvents(ctx, "echo", in)
	must(t, err)
	tr, logs := configuredTransport(t, dir, db, "/bin/true") // the plugin is never run
	loopCtx, stop := context.WithCancel(ctx)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		tr.outboxDoneLoop(loopCtx, nil)
	}()

	fillers := fullStore(t, db, dir)
	tr.markDone(ctx, delivery{key: keys[0], ev: evs[0]})
	awaitStoreFailure(t, tr, "the outbox cleanup")
	for i := 1; i < delivered; i++ {
		tr.markDone(ctx, delivery{key: keys[i], ev: evs[i]})
	}
	for len(tr.doneKeys) > 0 { // all taken by the loop, with the store still full
		time.Sleep(10 * time.Millisecond)
	}
	for _, f := range fillers {
		must(t, os.Remove(f))
	}
	// The kept removals (the first bound, and the saved state) are done
	// once the store works; the others stay.
	want := slices.Concat(keys[bound:savedAt], keys[savedAt+1:])
	var left []uint64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		out, err := db.Outbox("echo")
		must(t, err)
		left = left[:0]
		for _, e := range out {
			left = append(left, e.Key)
		}
		if len(left) <= len(want) || time.Now().After(deadline) {
			break
		}
	}
	stop()
	<-ended
	if !slices.Equal(left, want) {
		t.Errorf("outbox after the store works again holds %v, want %v: the removals past %d not kept, the saved state's kept", left, want, bound)
	}
	if !strings.Contains(logs.String(), "delivered again at the next start") {
		t.Errorf("the log does not say the events past the bound are delivered again:\n%s", logs)
	}
}
