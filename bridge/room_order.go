package bridge

import (
	"context"
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

// A room's archived messages reach the server in the order of their
// stanza-ids, whoever writes them: the chat's outbound worker (the
// network's messages, renderRoom) or the result of the user's own send
// (its reflection). Each takes a turn under the room's lock as it is
// archived, and writes its copies once every earlier turn has written
// its own. Else the two could cross on their way to the link, and a
// client that dropped between them and caught up (MAM, after the later
// stanza-id) would miss the earlier message. A member's read marker,
// not archived, takes a turn too: it names a stanza-id, and goes after
// the copies that carry it (roomMarker).

// sendWait bounds how long a room's copies wait for an earlier turn: one
// whose write waits for a link that is down does not hold the room. A
// variable for tests, where a turn never ended must show as a hang.
var sendWait = 2 * time.Second

// sendTurn is a place in a room's order of writes; the zero value has
// none and waits for nothing.
type sendTurn struct {
	q  *ticketQueue
	tk uint64
}

// sendTurnLocked takes the room's next turn to write; r.mu is held, the
// copies just archived.
func (r *room) sendTurnLocked() sendTurn {
	return sendTurn{q: &r.sends, tk: r.sends.take()}
}

// wait returns once every earlier turn has written, or after sendWait.
func (t sendTurn) wait() { t.waitAtMost(sendWait) }

// waitAtMost is wait bounded by max: for a writer with less time than
// sendWait (closeRoomsAtStop).
func (t sendTurn) waitAtMost(max time.Duration) {
	if t.q != nil {
		t.q.wait(t.tk, max)
	}
}

// done ends the turn: its copies are written, or given up.
func (t sendTurn) done() {
	if t.q != nil {
		t.q.done(t.tk)
	}
}

// ticketQueue hands out tickets and lets each holder wait for every
// earlier one to be settled: a room's reflections (room.order) and its
// writes (room.sends).
type ticketQueue struct {
	mu      sync.Mutex
	next    uint64          // the next ticket to hand out
	head    uint64          // the oldest ticket not yet settled
	settled map[uint64]bool // settled tickets past head
	moved   chan struct{}   // closed when head moves on
	// stuck is head+1 when a waitIssued gave up there (0: none).
	stuck uint64
}

// take hands out the next ticket.
func (q *ticketQueue) take() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	tk := q.next
	q.next++
	return tk
}

// wait returns once every ticket before tk is settled (true), or after
// max (false).
func (q *ticketQueue) wait(tk uint64, max time.Duration) bool {
	q.mu.Lock()
	ready := q.head >= tk
	q.mu.Unlock()
	if ready {
		return true // the usual case: no timer
	}
	timer := time.NewTimer(max)
	defer timer.Stop()
	for {
		q.mu.Lock()
		if q.head >= tk {
			q.mu.Unlock()
			return true
		}
		if q.moved == nil {
			q.moved = make(chan struct{})
		}
		moved := q.moved
		q.mu.Unlock()
		select {
		case <-moved:
		case <-timer.C:
			return false
		}
	}
}

// waitIssued returns once every ticket handed out so far is settled, or
// after max. Once one gives up, the next ones do not wait while the
// same ticket is unsettled: a send stuck at the plugin holds one of the
// room's events for max, not each.
func (q *ticketQueue) waitIssued(max time.Duration) {
	q.mu.Lock()
	tk, head, stuck := q.next, q.head, q.stuck == q.head+1
	q.mu.Unlock()
	if stuck || q.wait(tk, max) {
		return
	}
	q.mu.Lock()
	if q.head == head {
		q.stuck = head + 1
	}
	q.mu.Unlock()
}

// done settles ticket tk; settling it again does nothing.
func (q *ticketQueue) done(tk uint64) {
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

// writeInTurn writes out, a room's stanzas, once every earlier turn has
// written, then ends turn (the zero turn waits for nothing).
func (s *session) writeInTurn(ctx context.Context, turn sendTurn, out [][]byte) {
	turn.wait()
	for _, b := range out {
		s.t.send(ctx, b)
	}
	turn.done()
}
