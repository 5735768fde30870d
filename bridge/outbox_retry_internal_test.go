package bridge

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

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
