package sdk

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// The event queue has no cap: with no Events stream to take them (the
// gateway not reading), Emit returns at once for every event, none is
// dropped, and the stream opened later carries them all in order. What
// a plugin author hears is a warning in the log when the events waiting
// reach backlogWarnAt, again at each doubling, and again from
// backlogWarnAt once the gateway caught up.
func TestEmitBacklogNeverBlocksNorDrops(t *testing.T) {
	var logged bytes.Buffer
	q := newEventQueue(nil, nil, 0, 0, slog.New(slog.NewTextHandler(&logged, nil)))
	warnings := func() int { return strings.Count(logged.String(), "events wait for the gateway") }
	emit := func(n int) {
		t.Helper()
		for range n {
			if seq, err := q.emit(msgEvent("x")); seq == 0 || err != nil {
				t.Fatalf("emit: seq %d, %v", seq, err)
			}
		}
	}

	emit(backlogWarnAt - 1)
	if n := warnings(); n != 0 {
		t.Fatalf("%d warnings under %d events waiting:\n%s", n, backlogWarnAt, logged.String())
	}
	emit(1)
	if n := warnings(); n != 1 || !strings.Contains(logged.String(), "unacknowledged=10000") {
		t.Fatalf("at %d events waiting: %d warnings, want 1 naming the count:\n%s", backlogWarnAt, n, logged.String())
	}
	emit(backlogWarnAt - 1)
	if n := warnings(); n != 1 {
		t.Fatalf("under twice %d: %d warnings, want still 1", backlogWarnAt, n)
	}
	emit(1)
	if n := warnings(); n != 2 {
		t.Fatalf("at twice %d: %d warnings, want 2", backlogWarnAt, n)
	}

	// All of them reach the stream, in order, and none was dropped.
	r := runStream(t, q)
	total := 2 * backlogWarnAt
	for i := range total {
		if ev := r.next(t); ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i+1, ev.Seq)
		}
	}
	q.ack(uint64(total))
	r.cancel() // the events below are not read
	r.end(t)

	// Caught up: the warning comes again at backlogWarnAt, not at the
	// next doubling.
	emit(backlogWarnAt)
	if n := warnings(); n != 3 {
		t.Fatalf("after the gateway caught up, %d events waiting: %d warnings, want 3", backlogWarnAt, n)
	}
}
