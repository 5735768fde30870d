package bridge

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// TestReflectQueue: work waits for every earlier ticket, whichever
// order the tickets settle in; a ticket settled twice, or without work,
// counts once; a ticket never settled holds the later ones only for the
// wait's bound.
func TestReflectQueue(t *testing.T) {
	var q ticketQueue
	var mu sync.Mutex
	var order []uint64
	var wg sync.WaitGroup
	tks := make([]uint64, 6)
	for i := range tks {
		tks[i] = q.take()
	}
	for _, i := range []int{4, 2, 5, 0} { // reflected, in a scrambled order
		wg.Go(func() {
			q.wait(tks[i], 10*time.Second)
			mu.Lock()
			order = append(order, tks[i])
			mu.Unlock()
			q.done(tks[i])
		})
		time.Sleep(10 * time.Millisecond)
	}
	q.done(tks[3]) // settled without a reflection (an error)
	q.done(tks[3])
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	if len(order) != 1 || order[0] != 0 {
		t.Fatalf("before ticket 1 settles, reflected %v; want only 0", order)
	}
	mu.Unlock()
	q.done(tks[1])
	wg.Wait()
	if !slices.Equal(order, []uint64{0, 2, 4, 5}) {
		t.Fatalf("reflected %v, want 0 2 4 5", order)
	}

	// Ticket 6 never settles: 7 goes on after the bound.
	stuck, next := q.take(), q.take()
	_ = stuck
	if q.wait(next, 50*time.Millisecond) {
		t.Errorf("the wait behind a stuck ticket said it was ready, want it to give up at the bound")
	}
}

// TestWaitIssued: a room's message waits for the reflections of the
// user's messages handed out before it came; once a wait gives up on a
// send stuck at the plugin, the next ones do not wait on it again (else
// every message of the room would wait reflectWait behind it), and a
// later send is waited for again.
func TestWaitIssued(t *testing.T) {
	var q ticketQueue
	stuck := q.take()
	q.waitIssued(time.Millisecond) // gives up on stuck
	q.waitIssued(time.Hour)        // returns: stuck is known stuck (else the test times out)
	q.done(stuck)
	tk := q.take()
	returned := make(chan uint64)
	go func() {
		q.waitIssued(time.Hour)
		q.mu.Lock()
		head := q.head
		q.mu.Unlock()
		returned <- head
	}()
	q.done(tk)
	if head := <-returned; head <= tk {
		t.Errorf("returned with head %d, before ticket %d settled", head, tk)
	}
}
