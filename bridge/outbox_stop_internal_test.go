package bridge

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// At the stop, the outbox cleanup waits for the commits of what was
// delivered only as long as its drain: a commit whose batch was dropped
// at the stop never ends, and each such delivery held the stop for
// commitWait (10 s; TestChaos saw a gateway not stop within 15 s).
func TestOutboxStopNotHeldByLostCommits(t *testing.T) {
	tr := &transport{doneKeys: make(chan delivery, 4), log: slog.New(slog.DiscardHandler)}
	lost := &pendingCommit{done: make(chan struct{})} // never done
	for range 3 {
		tr.doneKeys <- delivery{commit: lost}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	go func() {
		tr.outboxDoneLoop(ctx, nil)
		close(ended)
	}()
	// The stop comes while the cleanup waits for the first one.
	for len(tr.doneKeys) == 3 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-ended:
	case <-time.After(3 * commitWait / 2):
		t.Fatalf("the outbox cleanup still runs %v after the stop, waiting for commits that will never end", 3*commitWait/2)
	}
}
