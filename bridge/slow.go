package bridge

import (
	"context"
	"sync"
	"sync/atomic"

	"passerelle.im/passerelle/bridge/wire"
)

// Slow work (downloading the file a user sends) runs off the shared
// inbound shards, on a bounded pool, so that one slow server stalls
// neither other conversations nor the link's reader. The conversation
// whose message waits is held: its later stanzas queue behind it, and go
// on in order once it is handed to the plugin.

const (
	// slowWorkers bounds the downloads under way at once.
	slowWorkers = 8
	// heldMax bounds the stanzas queued behind a held conversation.
	heldMax = 256
)

// holds tracks the conversations held by slow work.
type holds struct {
	// n counts the conversations held: almost always 0, and then a
	// stanza costs no lock.
	n  atomic.Int32
	mu sync.Mutex
	m  map[string]*held // convKey -> its hold
	wg sync.WaitGroup   // slow work under way
	// sem bounds the slow work running at once.
	sem chan struct{}
}

// held is one conversation waiting on slow work.
type held struct {
	busy bool           // slow work of the conversation is under way
	q    []*wire.Stanza // what came meanwhile, in order
}

// convKey names a conversation as the shards see it.
func convKey(st *wire.Stanza) string {
	return bareOf(st.From()) + "\x00" + bareOf(st.To())
}

// queued queues st behind its conversation's slow work, if any: it
// reports whether it did (or refused it, the queue being full).
func (t *transport) queued(ctx context.Context, st *wire.Stanza) bool {
	h := &t.holds
	if h.n.Load() == 0 {
		return false
	}
	h.mu.Lock()
	c := h.m[convKey(st)]
	if c == nil {
		h.mu.Unlock()
		return false
	}
	full := len(c.q) >= heldMax
	if !full {
		c.q = append(c.q, st)
	}
	h.mu.Unlock()
	if full && st.Type() != "error" && st.Kind() != "presence" {
		t.send(ctx, wire.ErrorReply(st, wire.ResourceConstraint, "too many messages wait for a file being fetched; try again shortly"))
	}
	return true
}

// slowly runs work for st's conversation off the shard, at most
// slowWorkers at a time; the conversation's later stanzas wait until
// work returns, then run in order (on work's goroutine).
func (t *transport) slowly(ctx context.Context, st *wire.Stanza, work func()) {
	key := convKey(st)
	h := &t.holds
	h.mu.Lock()
	if h.m == nil {
		h.m = map[string]*held{}
		h.sem = make(chan struct{}, slowWorkers)
	}
	c := h.m[key]
	if c == nil {
		c = &held{}
		h.m[key] = c
		h.n.Add(1)
	}
	c.busy = true
	h.wg.Add(1)
	h.mu.Unlock()
	go func() {
		defer h.wg.Done()
		select {
		case h.sem <- struct{}{}:
			work()
			<-h.sem
		case <-ctx.Done():
			work() // it fails at once, and answers the user
		}
		t.drain(ctx, key, c)
	}()
}

// drain handles what queued behind the conversation's slow work, until
// none is left or a stanza starts slow work again (which drains after).
func (t *transport) drain(ctx context.Context, key string, c *held) {
	h := &t.holds
	h.mu.Lock()
	c.busy = false
	for {
		if c.busy {
			break
		}
		if len(c.q) == 0 {
			delete(h.m, key)
			h.n.Add(-1)
			break
		}
		st := c.q[0]
		c.q[0] = nil
		c.q = c.q[1:]
		h.mu.Unlock()
		t.handleNow(ctx, st)
		h.mu.Lock()
	}
	h.mu.Unlock()
}
