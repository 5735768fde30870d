package xmpplink

import (
	"context"
	"sync"
)

// queueSize bounds the stanzas waiting for the writer: past it, Send
// waits for room (or its ctx).
const queueSize = 4096

// outQueue is the stanzas waiting for the writer, across connections.
// Its lock covers both the check that it still takes stanzas and the
// append, and close takes what is left under the same lock: a stanza
// is either refused or in the queue that close hands back, never put
// in a queue no one empties any more (Send found the link up, Run
// ended, and its done was never called).
type outQueue struct {
	mu     sync.Mutex
	items  []outItem
	closed bool
	// ready holds a token while items may be waiting: the writer's wake.
	ready chan struct{}
	// room is closed, and replaced, when items are taken from a full
	// queue: the wake of the senders waiting for room.
	room chan struct{}
}

func newOutQueue() *outQueue {
	return &outQueue{ready: make(chan struct{}, 1), room: make(chan struct{})}
}

// put appends it, waiting for room while the queue is full, until ctx
// ends. A closed queue refuses it with ErrDown.
func (q *outQueue) put(ctx context.Context, it outItem) error {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return ErrDown
		}
		if len(q.items) < queueSize {
			q.items = append(q.items, it)
			q.mu.Unlock()
			select {
			case q.ready <- struct{}{}:
			default:
			}
			return nil
		}
		room := q.room
		q.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// take appends to batch up to max waiting items, oldest first.
func (q *outQueue) take(batch []outItem, max int) []outItem {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := min(max, len(q.items))
	if n == 0 {
		return batch
	}
	full := len(q.items) >= queueSize
	batch = append(batch, q.items[:n]...)
	clear(q.items[:n])
	q.items = q.items[n:]
	if len(q.items) == 0 {
		q.items = nil // the backing array goes with the burst
	} else {
		select { // more to take: the writer comes back
		case q.ready <- struct{}{}:
		default:
		}
	}
	if full {
		close(q.room)
		q.room = make(chan struct{})
	}
	return batch
}

// close makes the queue refuse stanzas from now on and returns what it
// held; the senders waiting for room are refused too.
func (q *outQueue) close() []outItem {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items, q.closed = nil, true
	close(q.room)
	q.room = make(chan struct{})
	return items
}

// open makes a closed queue take stanzas again (Run starts again).
func (q *outQueue) open() {
	q.mu.Lock()
	q.closed = false
	q.mu.Unlock()
}
