package bridge

import (
	"context"
	"sync"
)

// confirmLink is what unconfirmed needs of the component link
// (*xmpplink.Link).
type confirmLink interface {
	WaitUp(ctx context.Context) error
	Generation() uint64
	SendConfirmed(ctx context.Context, gen uint64, data []byte, confirmed func(error)) error
}

// unconfirmed holds the stored deliveries (and a room's reflections of
// the user's own messages) written to the server that the server has not
// confirmed yet (see xmpplink's SendConfirmed): a server
// that goes down drops what it had not read, so a delivery leaves the
// outbox only once confirmed, and what a connection left unconfirmed is
// written again, in order and as the same stanzas (same ids), on the
// next one.
type unconfirmed struct {
	link confirmLink
	// confirmed hears of each delivery once the server has it, with the
	// context it was sent with. It runs on the link's writer.
	confirmed func(context.Context, delivery)

	flushMu sync.Mutex // one writer of the list's stanzas at a time

	mu   sync.Mutex
	list []*sent // in the order first written; confirmed ones leave from the front
	// cur is the connection every delivery in list was written on, but
	// new ones at its end (gen 0).
	cur uint64
	// lost is signalled when a connection ended with deliveries of it
	// unconfirmed: resendLoop then writes them again (flush).
	lost chan struct{}
}

// sent is a delivery and its stanzas, kept until confirmed.
type sent struct {
	d       delivery
	stanzas [][]byte
	gen     uint64 // the connection it was last written on; 0: none yet
	ok      bool   // confirmed
}

func newUnconfirmed(link confirmLink, confirmed func(context.Context, delivery)) *unconfirmed {
	return &unconfirmed{link: link, confirmed: confirmed, lost: make(chan struct{}, 1)}
}

// send writes a delivery's stanzas after every earlier unconfirmed one,
// and keeps it until the server confirms it. It waits while the link is
// down; it fails only when ctx ends (the outbox keeps the delivery).
func (u *unconfirmed) send(ctx context.Context, d delivery, stanzas [][]byte) error {
	u.mu.Lock()
	u.list = append(u.list, &sent{d: d, stanzas: stanzas})
	u.mu.Unlock()
	return u.flush(ctx)
}

// sendOrKeep is send for what must not wait for the link (a room's
// reflection of the user's own message, written on the result's
// goroutine): with the link up it writes as send does; with it down it
// only keeps the stanzas, in their place after every earlier delivery,
// and resendLoop writes them once the link is back.
func (u *unconfirmed) sendOrKeep(ctx context.Context, d delivery, stanzas [][]byte) {
	u.mu.Lock()
	u.list = append(u.list, &sent{d: d, stanzas: stanzas})
	u.mu.Unlock()
	if u.link.Generation() != 0 {
		_ = u.flush(ctx) // fails only when ctx ends: the stop
		return
	}
	select {
	case u.lost <- struct{}{}:
	default:
	}
}

// flush writes, in order, every unconfirmed delivery not written on the
// current connection, waiting for one to be up.
func (u *unconfirmed) flush(ctx context.Context) error {
	u.flushMu.Lock()
	defer u.flushMu.Unlock()
	for {
		if err := u.link.WaitUp(ctx); err != nil {
			return err
		}
		gen := u.link.Generation()
		if gen == 0 {
			continue // down again already: wait for the next
		}
		u.mu.Lock()
		from := 0
		if gen == u.cur {
			// Only the new ones: no need to look at the whole list.
			for from = len(u.list); from > 0 && u.list[from-1].gen == 0; from-- {
			}
		}
		u.cur = gen
		var todo []*sent
		for _, s := range u.list[from:] {
			if !s.ok && s.gen != gen {
				s.gen = gen
				todo = append(todo, s)
			}
		}
		u.mu.Unlock()
		if u.write(ctx, gen, todo) {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// That connection ended: whatever it did not confirm goes again
		// on the next.
	}
}

// write queues todo's stanzas on connection gen; false when it ended
// before all were queued.
func (u *unconfirmed) write(ctx context.Context, gen uint64, todo []*sent) bool {
	for _, s := range todo {
		for i, data := range s.stanzas {
			var cb func(error)
			if i == len(s.stanzas)-1 {
				// The last stanza's confirmation covers the earlier ones:
				// the server handles them in order.
				cb = func(err error) { u.done(ctx, s, gen, err) }
			}
			if err := u.link.SendConfirmed(ctx, gen, data, cb); err != nil {
				return false
			}
		}
	}
	return true
}

// done is a delivery's confirmation, or its failure, on connection gen.
func (u *unconfirmed) done(ctx context.Context, s *sent, gen uint64, err error) {
	u.mu.Lock()
	if s.ok { // confirmed before, on another connection
		u.mu.Unlock()
		return
	}
	if err != nil {
		// Unless it went again on a newer connection already, write it
		// again on the next.
		if s.gen == gen {
			select {
			case u.lost <- struct{}{}:
			default:
			}
		}
		u.mu.Unlock()
		return
	}
	s.ok = true
	n := 0
	for n < len(u.list) && u.list[n].ok {
		u.list[n] = nil
		n++
	}
	u.list = u.list[n:]
	u.mu.Unlock()
	u.confirmed(ctx, s.d)
}

// pending is the number of deliveries not confirmed yet.
func (u *unconfirmed) pending() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, s := range u.list {
		if !s.ok {
			n++
		}
	}
	return n
}
