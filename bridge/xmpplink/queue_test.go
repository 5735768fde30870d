package xmpplink

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestQueueRefusesWaitersAtClose: a sender waiting for room in a full
// queue is refused when Run ends (close), not left waiting for room no
// writer will make; what was queued is handed back, in order.
func TestQueueRefusesWaitersAtClose(t *testing.T) {
	q := newOutQueue()
	for i := range queueSize {
		if err := q.put(context.Background(), outItem{data: []byte(itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	waiting := make(chan error, 1)
	go func() { waiting <- q.put(context.Background(), outItem{data: []byte("late")}) }()
	items := q.close()
	select {
	case err := <-waiting:
		if !errors.Is(err, ErrDown) {
			t.Fatalf("the waiting sender got %v, want ErrDown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a sender waiting for room still waits after close")
	}
	if len(items) != queueSize || string(items[0].data) != "0" || string(items[queueSize-1].data) != itoa(queueSize-1) {
		t.Fatalf("close handed back %d items, want the %d queued in order", len(items), queueSize)
	}
	if err := q.put(context.Background(), outItem{}); !errors.Is(err, ErrDown) {
		t.Fatalf("put after close: %v, want ErrDown", err)
	}
}
