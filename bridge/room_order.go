package bridge

import (
	"sync"
	"time"
)

// The user's own messages are reflected in a room in the order the user
// sent them. Their results come back from the plugin each on a goroutine
// of its own (pluginhost.readResults), so a burst would be reflected, and
// given stanza-ids, in whatever order the results came: not the order
// the network (other members, and its times in each copy) has.
// Each message takes a ticket as the room's inbound worker hands it to
// the plugin; its reflection waits until every earlier ticket is settled
// (reflected, or done with without a reflection), at most reflectWait:
// an earlier message stuck at the plugin does not hold the later ones
// for longer. Messages with a file skip the line: their download runs
// beside the chat, and the network gets them after what follows.

// reflectWait bounds how long a reflection waits for earlier ones.
const reflectWait = 10 * time.Second

// reflectQueue orders one room's reflections.
type reflectQueue struct {
	mu      sync.Mutex
	next    uint64          // the next ticket to hand out
	head    uint64          // the oldest ticket not yet settled
	settled map[uint64]bool // settled tickets past head
	moved   chan struct{}   // closed when head moves on
}

// take hands out the next ticket.
func (q *reflectQueue) take() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	tk := q.next
	q.next++
	return tk
}

// wait returns once every ticket before tk is settled, or after max.
func (q *reflectQueue) wait(tk uint64, max time.Duration) {
	timer := time.NewTimer(max)
	defer timer.Stop()
	for {
		q.mu.Lock()
		if q.head >= tk {
			q.mu.Unlock()
			return
		}
		if q.moved == nil {
			q.moved = make(chan struct{})
		}
		moved := q.moved
		q.mu.Unlock()
		select {
		case <-moved:
		case <-timer.C:
			return
		}
	}
}

// done settles ticket tk; settling it again does nothing.
func (q *reflectQueue) done(tk uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if tk < q.head {
		return
	}
	if q.settled == nil {
		q.settled = map[uint64]bool{}
	}
	q.settled[tk] = true
	moved := false
	for q.settled[q.head] {
		delete(q.settled, q.head)
		q.head++
		moved = true
	}
	if moved && q.moved != nil {
		close(q.moved)
		q.moved = nil
	}
}
