package xmpplink

import (
	"context"
	"errors"
	"sync"
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

// TestQueueEachStanzaOnce: with senders putting, a writer taking and then
// the queue closed meanwhile (Run's end), each stanza whose put succeeded
// is handed out exactly once, to the writer or by close, and each refused
// one never: none is accepted into a queue no one empties any more.
func TestQueueEachStanzaOnce(t *testing.T) {
	const senders, each = 8, 2000
	q := newOutQueue()
	var (
		mu       sync.Mutex
		accepted = map[string]bool{}
		seen     = map[string]int{}
	)
	stop := make(chan struct{})
	writer := make(chan struct{})
	go func() { // the writer, until stop
		defer close(writer)
		var batch []outItem
		for {
			select {
			case <-q.ready:
			case <-stop:
				return
			}
			batch = q.take(batch[:0], maxBatch)
			mu.Lock()
			for _, it := range batch {
				seen[string(it.data)]++
			}
			mu.Unlock()
		}
	}()
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				id := itoa(s) + "/" + itoa(i)
				if q.put(context.Background(), outItem{data: []byte(id)}) == nil {
					mu.Lock()
					accepted[id] = true
					mu.Unlock()
				}
			}
		})
	}
	// Close midway through the senders' puts.
	for {
		mu.Lock()
		n := len(accepted)
		mu.Unlock()
		if n >= senders*each/2 {
			break
		}
	}
	// Run ends: its writer stops, then failQueued closes the queue.
	close(stop)
	<-writer
	left := q.close()
	wg.Wait()
	for _, it := range left {
		seen[string(it.data)]++
	}
	for id, n := range seen {
		if n != 1 || !accepted[id] {
			t.Errorf("stanza %s handed out %d times (its put succeeded: %v)", id, n, accepted[id])
		}
	}
	for id := range accepted {
		if seen[id] == 0 {
			t.Errorf("stanza %s was accepted and never handed out", id)
		}
	}
}
