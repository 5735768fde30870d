package bridge

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/stagetrace"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A chat is one conversation: between a user and a contact, or a user
// and the gateway itself. Its work runs on its own worker, in order, so
// that what is slow in one chat (a file's download or upload, a reply
// waiting for the result of the send it names) delays that chat only.
// A worker is a goroutine started by the chat's first stanza or event and
// ended once the chat has been idle for chatIdle.
//
// A chat has two workers, one per direction: the stanzas its user sends
// (from the link, to the plugin) and the events the network sends (from
// the plugin, to the user). Each direction keeps its own order; they run
// side by side, as the network's echo of a message the user sends may
// come before that send's result.

const (
	// chatIdle is how long a chat's worker waits for more work before
	// it ends; the chat's next stanza or event starts another.
	chatIdle = 30 * time.Second
	// chatsKept is how many chats keep an idle worker for chatIdle;
	// past it, a worker ends as soon as its chat is idle, so that a burst
	// over thousands of chats leaves no thousands of goroutines behind.
	chatsKept = 1024
	// inboundQueue bounds the stanzas waiting in one chat: past it, the
	// user is told to try again (the link's reader never waits).
	inboundQueue = 256
	// inboundChats bounds the chats with an inbound worker: a client
	// writing to thousands of addresses must not start a goroutine for
	// each. Past it, a stanza of a new chat is refused like one of a
	// full chat.
	inboundChats = 8192
	// slowWorkers bounds the file downloads, and apart the file uploads,
	// under way at once across chats.
	slowWorkers = 8
)

// chatAddr names a chat: inbound, by the user's and the contact's (or
// gateway's) bare JIDs; outbound, by the login ID and the network's chat
// ID (a direct chat's ID is the contact's user ID).
type chatAddr struct{ a, b string }

// chats runs one worker per active chat over the items (stanzas or
// deliveries) of one direction.
type chats[T any] struct {
	handle func(context.Context, T)
	max    int // the items one chat may have waiting; 0: no bound
	limit  int // the chats with a worker at once; 0: no bound
	kept   int // past this many workers, an idle one ends at once (0: chatsKept)
	idle   time.Duration
	// ctx is the transport's run context, set before any push; nil in
	// tests that run no transport (then: background).
	ctx context.Context

	mu sync.Mutex
	m  map[chatAddr]*chatWorker[T]
	wg sync.WaitGroup // workers running
	// closed: the transport's stop waits for wg; goLive and push start
	// no more.
	closed bool
	n      atomic.Int32 // len(m), read without mu
}

// chatWorker is one chat's queue; its goroutine is the only reader.
type chatWorker[T any] struct {
	mu   sync.Mutex
	q    []T
	head int // q[head:] waits
	wake chan struct{}
}

// goLive runs f in a goroutine the transport's stop waits for, unless
// the stop is already waiting (close): false, f not run. A Go on wg
// after its Wait began is a misuse (a race, or a panic).
func (c *chats[T]) goLive(f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Go(f)
	return true
}

// close makes goLive and push refuse from now on, before the stop waits
// for wg.
func (c *chats[T]) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
}

// push queues v in its chat, starting the chat's worker if it has none.
// It never waits: false means the chat's queue is full, or there are too
// many chats, or the stop waits for the workers (close), and v was not
// taken.
func (c *chats[T]) push(key chatAddr, v T) bool {
	c.mu.Lock()
	if c.closed {
		// A worker started now would run past the stop's wait.
		c.mu.Unlock()
		return false
	}
	w := c.m[key]
	if w == nil {
		if c.limit > 0 && len(c.m) >= c.limit {
			c.mu.Unlock()
			return false
		}
		if c.m == nil {
			c.m = map[chatAddr]*chatWorker[T]{}
		}
		w = &chatWorker[T]{wake: make(chan struct{}, 1)}
		// The key may point into a stanza's buffer: keep only its text.
		key = chatAddr{strings.Clone(key.a), strings.Clone(key.b)}
		c.m[key] = w
		c.n.Add(1)
		c.wg.Add(1)
		go c.run(key, w)
	}
	w.mu.Lock()
	if c.max > 0 && len(w.q)-w.head >= c.max {
		w.mu.Unlock()
		c.mu.Unlock()
		return false
	}
	w.q = append(w.q, v)
	w.mu.Unlock()
	c.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default: // a wake is pending already
	}
	return true
}

// run is a chat's worker: it handles the chat's items in order, and ends
// when the chat stays idle or the transport stops.
func (c *chats[T]) run(key chatAddr, w *chatWorker[T]) {
	defer c.wg.Done()
	ctx := c.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	idle, kept := c.idle, int32(c.kept)
	if idle <= 0 {
		idle = chatIdle
	}
	if kept <= 0 {
		kept = chatsKept
	}
	timer := time.NewTimer(idle)
	defer timer.Stop()
	var zero T
	for {
		w.mu.Lock()
		if w.head < len(w.q) {
			v := w.q[w.head]
			w.q[w.head] = zero
			if w.head++; w.head == len(w.q) {
				w.q, w.head = w.q[:0], 0
			}
			w.mu.Unlock()
			c.handle(ctx, v)
			continue
		}
		w.mu.Unlock()
		if c.n.Load() > kept && c.retire(key, w, int(kept)) {
			return
		}
		timer.Reset(idle)
		select {
		case <-w.wake:
		case <-timer.C:
			if c.retire(key, w, -1) {
				return
			}
		case <-ctx.Done():
			// Out of the map, unless an item came meanwhile: a worker
			// ended and left there took what its chat got after the
			// stop (a stanza read in the link's last moments) and
			// never handled it, nor told anyone.
			if c.retire(key, w, -1) {
				return
			}
		}
	}
}

// retire removes an idle worker from the chats, unless an item came
// meanwhile or (atMost >= 0) no more than atMost chats have a worker; it
// reports whether it did.
func (c *chats[T]) retire(key chatAddr, w *chatWorker[T], atMost int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.head < len(w.q) || (atMost >= 0 && len(c.m) <= atMost) {
		return false
	}
	delete(c.m, key)
	c.n.Add(-1)
	return true
}

// waiting is what waits in key's queue, oldest first.
func (c *chats[T]) waiting(key chatAddr) []T {
	c.mu.Lock()
	w := c.m[key]
	c.mu.Unlock()
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.q[w.head:])
}

// active counts the chats with a worker.
func (c *chats[T]) active() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// route runs on the link's read loop: it only queues the stanza in its
// chat. The reader must never wait: pings would go unanswered and the
// server would drop the link, and every user's stanzas with it.
func (t *transport) route(st *wire.Stanza) {
	if stagetrace.Enabled() {
		if b, ok := st.Body(); ok {
			stagetrace.Mark(stagetrace.GatewayIn, b)
		}
	}
	if t.privilegeAdvert(st) { // privilege.go: in stream order
		return
	}
	t.readStanza(st) // held_queue.go: recorded, lazily, before its worker may take it
	if !t.in.push(chatAddr{bareOf(st.From()), bareOf(st.To())}, st) {
		t.handledQueued(context.Background(), st)
		t.overloaded(st)
		return
	}
}

// overloaded answers a stanza its full chat cannot take: the sender may
// try again (type wait). An error or a presence gets no answer.
func (t *transport) overloaded(st *wire.Stanza) {
	t.log.Warn("chat queue full; stanza refused", "kind", st.Kind(), "from", st.From(), "to", st.To())
	if st.Type() == "error" || st.Kind() == "presence" {
		return
	}
	reply := wire.ErrorReply(st, wire.ResourceConstraint, "too many messages wait in this chat; try again shortly")
	// Off the reader: the writer's queue may be full too. Its wait is
	// bounded, and the stop waits for it.
	t.goBg(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		t.send(ctx, reply)
	})
}

// slowly runs slow work (a file's download or upload) in the calling
// chat's worker, at most slowWorkers at a time per pool: the chat's later
// items wait behind it; other chats go on. Once ctx ends it runs work at
// once, which then fails and says so.
func slowly(ctx context.Context, pool chan struct{}, work func()) {
	if pool == nil { // no bound (a transport built for a test)
		work()
		return
	}
	select {
	case pool <- struct{}{}:
		defer func() { <-pool }()
	case <-ctx.Done():
	}
	work()
}

// savedStateLane is the chat a login's saved states are delivered in: no
// network's chat ID (they hold no NUL).
const savedStateLane = "\x00saved state"

// deliveryAddr is the chat an event is delivered in: a contact's changes
// go with its direct chat, so that they keep their order with its
// messages; what concerns the login as a whole goes in the login's own
// chat (no chat ID), and so do contacts' presences: a network sends one
// for each of thousands of contacts at a connect, and they would start a
// worker each.
func deliveryAddr(ev *pb.Event) chatAddr {
	switch p := ev.Payload.(type) {
	case *pb.Event_Contact:
		return chatAddr{ev.LoginId, p.Contact.GetContact().GetUserId()}
	case *pb.Event_ContactRemoved:
		return chatAddr{ev.LoginId, p.ContactRemoved.UserId}
	case *pb.Event_Presence:
		return chatAddr{ev.LoginId, ""}
	case *pb.Event_Identity:
		// Behind the old chat's events: they are in the map when it moves.
		return chatAddr{ev.LoginId, p.Identity.GetOldUserId()}
	case *pb.Event_SavedState:
		// A lane of their own, in order: one waits out a failing store
		// (keepState), which must not hold the login's states and its
		// contacts' presences meanwhile.
		return chatAddr{ev.LoginId, savedStateLane}
	}
	return chatAddr{ev.LoginId, ev.ChatId}
}

// chatDelivery is the outbound chats' handler: it delivers a chat's
// events in order.
type chatDelivery struct {
	t   *transport
	now func(context.Context, delivery) // the delivery itself (deliverNow)
}

// deliver delivers d, in its chat's worker. An event naming a message
// the user is sending right now (a reply, correction, reaction or
// retraction of it) waits for the send's result, which brings the
// message's remote ID; the chat's later events wait behind it, other
// chats go on.
func (c chatDelivery) deliver(ctx context.Context, d delivery) {
	t := c.t
	if w := t.receiptWaits(d.ev); w != nil {
		// A receipt for what the user is sending right now names a
		// message whose remote ID comes with the send's result. It waits
		// for that beside the chat, so that nothing waits with it: a
		// receipt names the message it acknowledges, and its place among
		// other stanzas does not matter.
		t.goBg(func() {
			w.wait(ctx)
			c.now(ctx, d)
		})
		return
	}
	if w := t.targetWaits(d.ev); w != nil {
		w.wait(ctx)
	}
	if w := t.echoWaits(d.ev); w != nil {
		// The user's own message from the network while a send of the
		// chat is under way: maybe that send's echo, come before its
		// result (different streams); render then drops it (sentByUser).
		w.wait(ctx)
	}
	c.now(ctx, d)
}
