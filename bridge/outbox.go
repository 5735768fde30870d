package bridge

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// The network's events on their way in: checked for duplicates, handed
// to their chats' workers for delivery at once, and committed meanwhile
// in batches (dedup keys, the message map, the outbox); a delivered event
// leaves the outbox once the server confirmed it (outboxDoneLoop), and
// what it still holds at a start is delivered again (loadOutbox).

// storeEvents stores and delivers the plugin's events (pluginEvents) and
// the gateway's own retractions at a deadline. New events go to delivery at
// once, while their store transaction (dedup keys, message map, outbox)
// commits; the plugin hears they are stored only once it has. A crash in
// between delivers an event again, never loses it: at-least-once, as when
// a crash falls between a write to the server and the outbox cleanup.
//
// An event the store refuses (a NUL byte or an over-long part in an ID) is
// not delivered; the store rejects it alone, with a log line and a count,
// and the batch is acknowledged, so the plugin forgets it instead of
// replaying it forever. A store failure is retried (see storeRetry), never
// answered with an error: that would restart the plugin, which replays the
// same events into the same failure.
func (t *transport) storeEvents(ctx context.Context, evs []*pb.Event) <-chan error {
	res := make(chan error, 1)
	job := &commitJob{res: res, c: &pendingCommit{done: make(chan struct{})}}
	idx := make([]int, len(evs)) // evs[i] is job.in[idx[i]], or -1 when not stored
	xids := make([]string, len(evs))
	now := time.Now()
	// A network's retraction stands for the gateway's own retraction of
	// the message at its deadline, in the same dedup key: whichever comes
	// second is dropped (expiry.go). -1: none.
	stands := make([]int, len(evs))
	var reads []*pb.Event // the user's reads on the network (expiry.go)
	keptInBatch(evs)      // expiry.go
	// nobody: of a login no user has, not stored.
	nobody := make([]bool, len(evs))
	for i, ev := range evs {
		stands[i] = -1
		t.fitEvent(ev) // netinput.go
		xids[i] = t.eventXID(ev)
		idx[i] = -1
		if ev.GetLoginStep() == nil && t.sessionOf(ev.LoginId) == nil {
			// Nobody to deliver it to: not stored, nor its ID taken as
			// seen, or the same event sent again once the login is
			// known (after its Connect) was dropped as a duplicate.
			t.log.Warn("event for a login no user has; dropped", "login", ev.LoginId, "chat", ev.ChatId, "event_id", ev.EventId)
			nobody[i] = true
			continue
		}
		if ephemeral(ev) {
			reads = append(reads, ev)
			continue
		}
		// The outbox payload is encoded at commit time, and only for an
		// event the server has not confirmed by then (see unconfirmed.go).
		ie := store.InboundEvent{Seq: ev.Seq, LoginID: ev.LoginId, ChatID: ev.ChatId, DedupID: ev.EventId}
		if _, ok := ev.Payload.(*pb.Event_Message); ok && ev.EventId != "" {
			ie.Ref = t.netRef(ev, xids[i])
			// Live messages are deduplicated by their map entry; history
			// keeps a dedup key, as its entries may be pruned early.
			ie.DedupByRef = !ev.IsBackfill
		}
		idx[i] = len(job.in)
		job.in = append(job.in, ie)
		job.evs = append(job.evs, ev)
		job.xids = append(job.xids, xids[i])
		job.written = append(job.written, new(atomic.Bool))
		// It still goes to the commit, which rejects it alone (and
		// counts it), but nothing else of it happens.
		bad := t.db.CheckEvent(t.name, ie) != nil
		job.bad = append(job.bad, bad)
		if !bad {
			if k, ok := standsForExpiry(ev); ok && t.db.CheckEvent(t.name, k) == nil {
				stands[i] = len(job.in)
				job.in = append(job.in, k)
				job.evs = append(job.evs, nil)
				job.xids = append(job.xids, "")
				w := new(atomic.Bool)
				w.Store(true)
				job.written = append(job.written, w)
				job.bad = append(job.bad, false)
			}
		}
	}
	var seen []bool
	err := t.storeRetry(ctx, "checking events for duplicates", func() (err error) {
		seen, err = t.db.Seen(t.name, job.in)
		return err
	})
	if err != nil {
		res <- err
		return res
	}
	// Duplicates: already committed, or in a batch still committing, or
	// earlier in this one.
	t.inflightMu.Lock()
	dup := make([]bool, len(job.in))
	for j, ie := range job.in {
		if job.bad[j] {
			dup[j] = true // not delivered, not held in flight
			continue
		}
		if ie.DedupID == "" {
			continue
		}
		k := ie.LoginID + "\x00" + ie.ChatID + "\x00" + ie.DedupID
		if seen[j] || t.inflight[k] > 0 {
			dup[j] = true
			continue
		}
		t.inflight[k]++
		job.keys = append(job.keys, k)
		if ie.Ref != nil {
			rk := refKey(ie.LoginID, ie.ChatID, ie.Ref.RemoteID)
			t.newRefs[rk] = *ie.Ref
			job.refs = append(job.refs, rk)
			// The user may answer the message (a receipt, a marker, a
			// reaction) before its commit ends.
			if ie.Ref.ID != "" {
				xk := refKey(ie.LoginID, ie.ChatID, ie.Ref.ID)
				t.newXIDs[xk] = rk
				job.xidKeys = append(job.xidKeys, xk)
			}
		}
	}
	t.inflightMu.Unlock()
	// Once this batch's messages are known in flight: a read may cover
	// one of them (both queued while the gateway was away).
	for _, ev := range reads {
		t.readOnNetwork(ctx, ev) // expiry.go
	}

	for i, ev := range evs {
		if nobody[i] {
			continue
		}
		d := delivery{xid: xids[i], ev: ev, idx: idx[i]}
		if j := idx[i]; j >= 0 {
			if job.bad[j] {
				// The store logs it (and why) when it rejects it.
				t.log.Debug("invalid event from the plugin not delivered", "seq", ev.Seq, "login", ev.LoginId, "chat", ev.ChatId, "event_id", ev.EventId)
				continue
			}
			// A duplicate's timer too, even one run out: the first
			// copy's may have been lost to a crash before the
			// acknowledgement (expiry.go).
			if kept, ok := t.late.release(ev); ok {
				// The keep of a message that ran out before it came,
				// read apart from it: shown after all, with the deadline
				// the keep set (expiry_late.go).
				job.timers.add(kept.ev, kept.xid, now, false)
				t.push(kept)
			}
			job.timers.add(ev, xids[i], now, dup[j])
			if dup[j] {
				t.log.Debug("duplicate event dropped", "login", ev.LoginId, "chat", ev.ChatId, "event_id", ev.EventId)
				continue
			}
			if ev.GetExpiry() != nil {
				// A new deadline shows nothing: it is kept (putTimers).
				job.written[j].Store(true)
				continue
			}
			if k := stands[i]; k >= 0 && dup[k] {
				t.log.Debug("a network's retraction of a message retracted at its deadline already; dropped", "login", ev.LoginId, "chat", ev.ChatId, "target", ev.GetRetraction().GetTargetId())
				job.written[j].Store(true) // nothing to keep in the outbox
				continue
			}
			d.commit, d.written = job.c, job.written[j]
		}
		t.pushOrHold(d, now) // expiry_late.go
	}
	// Delivered: it must reach the commit loop, which outlives the
	// feeders (runFed). Room in the queue wins over a ctx that ended
	// meanwhile (a select picks at random among ready cases).
	select {
	case t.commits <- job:
	default:
		select {
		case t.commits <- job:
		case <-ctx.Done():
			res <- ctx.Err()
		}
	}
	return res
}

// runFed runs feeders, the loops that hand batches to storeEvents (the
// plugin host, whose event stream outlives ctx by its drain, and the
// deadlines' retractions), each with ctx, and the commit loop until the
// last of them returned: a batch delivered during the stop is committed,
// so that the plugin's replay of it at the next start is dropped as a
// duplicate. The commit loop stopped with ctx, and a batch the drain
// delivered after that was neither stored nor acknowledged: the user got
// it twice (TestThroughGateway of the Python plugin, under load).
func (t *transport) runFed(ctx context.Context, feeders ...func(context.Context)) {
	cctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	loop := make(chan struct{})
	go func() { // waited for below (loop)
		defer close(loop)
		t.commitLoop(cctx)
	}()
	var wg sync.WaitGroup
	for _, f := range feeders {
		wg.Go(func() { f(ctx) })
	}
	wg.Wait()
	stop()
	<-loop
}

// pluginEvents is the plugin host's OnEvents: storeEvents, once what is
// the host's alone is cleared (RetractionEvent.expired marks the
// gateway's own retractions at a deadline, expiry.go).
func (t *transport) pluginEvents(ctx context.Context, evs []*pb.Event) <-chan error {
	for _, ev := range evs {
		if r := ev.GetRetraction(); r != nil {
			r.Expired = false
		}
	}
	return t.storeEvents(ctx, evs)
}

// netRef is the message map entry of the network's message ev, delivered
// with the XMPP id xid.
func (t *transport) netRef(ev *pb.Event, xid string) *store.MessageRef {
	files, text := messageFiles(ev.GetMessage())
	return &store.MessageRef{Transport: t.name, LoginID: ev.LoginId, ChatID: ev.ChatId, RemoteID: ev.EventId,
		ID: xid, FromMe: ev.GetSender().GetIsFromMe(), Time: time.UnixMicro(ev.TimestampUnixMicro), Meta: t.messageMeta(ev.EventId, ev.Meta),
		Files: files, Text: text}
}

// messageFiles is how many files the network's message m has, and
// whether text came with them (store.MessageRef's Files and Text).
func messageFiles(m *pb.MessageEvent) (files int, text bool) {
	return len(m.GetAttachments()), len(m.GetAttachments()) > 0 && m.GetText() != ""
}

func refKey(loginID, chatID, remoteID string) string {
	return loginID + "\x00" + chatID + "\x00" + remoteID
}

// pendingCommit is a batch's store transaction, once done.
type pendingCommit struct {
	done  chan struct{}
	err   error
	fresh []bool
	keys  []uint64
}

// commitJob is one batch of events for commitLoop.
type commitJob struct {
	in      []store.InboundEvent
	evs     []*pb.Event    // parallel to in: the events, for their outbox payload
	xids    []string       // parallel to in: the XMPP IDs they are delivered with
	written []*atomic.Bool // parallel to in
	bad     []bool         // parallel to in: refused by the store, not delivered
	timers  timers         // the disappearing messages' timers (expiry.go)
	c       *pendingCommit
	res     chan error
	keys    []string // dedup keys it holds in inflight
	refs    []string // its entries in newRefs
	xidKeys []string // and in newXIDs
}

// commitLinger is how long a commit waits for more batches to share its
// fsync. Events are delivered before their commit, so only the plugin's
// acknowledgement waits; at a few messages in flight an fsync per batch
// was a sixth of the gateway's CPU.
const commitLinger = 2 * time.Millisecond

// commitLoop commits the batches in order; batches that queued up during
// a commit or its linger go together in the next one (one fsync).
func (t *transport) commitLoop(ctx context.Context) {
	linger := time.NewTimer(commitLinger)
	linger.Stop()
	for {
		var jobs []*commitJob
		select {
		case j := <-t.commits:
			jobs = append(jobs, j)
		case <-ctx.Done():
			// What was delivered must be stored: commit what is queued.
			select {
			case j := <-t.commits:
				jobs = append(jobs, j)
			default:
				return
			}
		}
		linger.Reset(commitLinger)
	drain:
		for len(jobs) < 64 {
			select {
			case j := <-t.commits:
				jobs = append(jobs, j)
			case <-linger.C:
				break drain
			case <-ctx.Done():
				break drain
			}
		}
		linger.Stop()
		began := time.Now()
		var all []store.InboundEvent
		for _, j := range jobs {
			for k, ie := range j.in {
				// A rejected event needs no outbox payload.
				ie.Delivered = j.written[k].Load() || j.bad[k]
				if !ie.Delivered {
					var err error
					if ie.Payload, err = encodeOutbox(j.xids[k], j.evs[k]); err != nil {
						// Only its outbox entry is lost, not the batch: it
						// was handed to delivery already.
						t.log.Error("an event could not be encoded for the outbox; it is delivered but not kept for a redelivery",
							"seq", ie.Seq, "login", ie.LoginID, "chat", ie.ChatID, "err", err)
						ie.Delivered = true
					}
				}
				all = append(all, ie)
			}
		}
		var fresh []bool
		var keys []uint64
		var err error
		if len(all) > 0 {
			// What was delivered must be stored, even at shutdown: each
			// attempt runs to its end; retries stop once ctx ends (the
			// plugin then sends the batch again at the next start).
			err = t.storeRetry(ctx, "storing events", func() (err error) {
				fresh, keys, err = t.db.CommitEvents(context.WithoutCancel(ctx), t.name, all)
				return err
			})
			if err != nil {
				t.log.Error("storing events failed; the plugin will send them again", "err", err)
			}
		}
		// The plugin hears the events are stored only once their
		// timers are recorded too.
		ackErr := err
		if err == nil {
			var x timers
			for _, j := range jobs {
				x.at = append(x.at, j.timers.at...)
				x.read = append(x.read, j.timers.read...)
				x.arrived = append(x.arrived, j.timers.arrived...)
				x.moves = append(x.moves, j.timers.moves...)
			}
			if ackErr = t.putTimers(ctx, x); ackErr != nil {
				t.log.Error("recording disappearing messages' deadlines failed; the plugin will send them again", "err", ackErr)
			}
		}
		t.metrics.CommitDone(began, len(all))
		off := 0
		t.inflightMu.Lock()
		for _, j := range jobs {
			n := len(j.in)
			j.c.err = err
			if err == nil {
				j.c.fresh, j.c.keys = fresh[off:off+n], keys[off:off+n]
			}
			off += n
			for _, k := range j.keys {
				if t.inflight[k]--; t.inflight[k] <= 0 {
					delete(t.inflight, k)
				}
			}
			for _, k := range j.refs {
				delete(t.newRefs, k)
			}
			for _, k := range j.xidKeys {
				delete(t.newXIDs, k)
			}
		}
		t.inflightMu.Unlock()
		for _, j := range jobs {
			close(j.c.done)
			j.res <- ackErr
		}
	}
}

// storeRetry runs fn, and again after each failure, waiting 100 ms
// doubling to 5 s: a store failure (a full or failing disk) is waited
// out with a log line per attempt, not turned into a plugin restart; a
// success after failures says storing works again (storefail.go). It
// returns fn's last error once ctx ends or the store is closed, and at
// once an error of invalid input (store.ErrInvalid), which would only
// fail again.
func (t *transport) storeRetry(ctx context.Context, what string, fn func() error) error {
	wait := 100 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			t.storeFails.worked(t.log, what) // says so after failures
		}
		if err == nil || errors.Is(err, store.ErrClosed) || errors.Is(err, store.ErrInvalid) || ctx.Err() != nil {
			return err // invalid input would fail the same way again
		}
		t.storeFails.fail(t.log, 0, what, "", err) // its line is paced by wait
		t.log.Error("store failure; retrying", "doing", what, "err", err, "retry_in", wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// newXMPPRef finds a message of a batch still committing by the XMPP ID
// it was delivered with.
func (t *transport) newXMPPRef(loginID, chatID, xmppID string) (store.MessageRef, bool) {
	t.inflightMu.Lock()
	defer t.inflightMu.Unlock()
	r, ok := t.newRefs[t.newXIDs[refKey(loginID, chatID, xmppID)]]
	return r, ok
}

// newRef finds a message of a batch still committing.
func (t *transport) newRef(loginID, chatID, remoteID string) (store.MessageRef, bool) {
	t.inflightMu.Lock()
	defer t.inflightMu.Unlock()
	r, ok := t.newRefs[refKey(loginID, chatID, remoteID)]
	return r, ok
}

// ephemeral events (typing, receipts, presence, progress) are delivered
// without being stored: they are worth nothing late, a crash may lose
// one, and storing them would cost most of the store's work per message.
func ephemeral(ev *pb.Event) bool {
	switch ev.Payload.(type) {
	case *pb.Event_Typing, *pb.Event_Receipt, *pb.Event_Presence, *pb.Event_Progress:
		return true
	}
	return false
}

// encodeOutbox keeps the XMPP id with the event, so a redelivery after a
// restart carries the same id.
func encodeOutbox(xid string, ev *pb.Event) ([]byte, error) {
	b := binary.AppendUvarint(nil, uint64(len(xid)))
	b = append(b, xid...)
	b, err := proto.MarshalOptions{}.MarshalAppend(b, ev)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	return b, nil
}

func decodeOutbox(b []byte) (string, *pb.Event, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", nil, errors.New("bad outbox entry")
	}
	xid := string(b[k : k+int(n)])
	ev := &pb.Event{}
	if err := proto.Unmarshal(b[k+int(n):], ev); err != nil {
		return "", nil, fmt.Errorf("decode outbox event: %w", err)
	}
	return xid, ev, nil
}

func (t *transport) loadOutbox() ([]delivery, error) {
	entries, err := t.db.Outbox(t.name)
	if err != nil {
		return nil, err
	}
	var ds []delivery
	var bad []uint64
	for _, e := range entries {
		xid, ev, err := decodeOutbox(e.Payload)
		if err != nil {
			t.log.Error("undecodable outbox entry dropped", "key", e.Key, "err", err)
			bad = append(bad, e.Key)
			continue
		}
		ds = append(ds, delivery{key: e.Key, xid: xid, ev: ev})
	}
	if len(bad) > 0 {
		if err := t.db.OutboxDone(context.Background(), t.name, bad); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// savedStatesFirst stores each login's newest saved state the outbox
// kept (a stop cut its delivery short) and takes that login's saved
// states out of the backlog and the outbox, before the plugin starts.
// Stored only at their delivery, they came after the login's Connect,
// which then handed the plugin a state older than its last save; and an
// older one delivered after the newest would undo it. A login whose
// state the store does not take has it in memory all the same (the
// Connect uses it) and keeps that newest in the backlog, delivered as
// before, which retries the write; its older ones go, so that their
// delivery cannot put an older state in memory before the Connect.
//
// undone are the outbox keys of those stored whose removal failed (the
// store failing): outboxDoneLoop retries them first, so that they leave
// the outbox no later than any newer saved state of their login. Left
// there while a newer one left, they were stored over it at the next
// start.
func (t *transport) savedStatesFirst(ctx context.Context, backlog []delivery) (kept []delivery, undone []uint64) {
	newest := map[string]int{} // login ID -> its newest saved state's place in backlog
	for i, d := range backlog {
		if d.ev.GetSavedState() != nil {
			newest[d.ev.LoginId] = i // the backlog is in outbox order: the later, the newer
		}
	}
	stored := map[string]bool{} // only the logins with a session
	for id, i := range newest {
		if s := t.sessionOf(id); s != nil {
			stored[id] = s.saveState(ctx, backlog[i].ev.GetSavedState().SavedState)
		}
	}
	var done []uint64
	kept = backlog[:0]
	for i, d := range backlog {
		if d.ev.GetSavedState() != nil {
			if ok, known := stored[d.ev.LoginId]; known && (ok || i != newest[d.ev.LoginId]) {
				done = append(done, d.key)
				continue
			}
		}
		kept = append(kept, d)
	}
	// Left in the outbox by a crash now, they are taken again at the
	// next start, the same newest first; a newer save comes in a commit
	// that makes this removal durable first (OutboxDone is lazy).
	if err := t.db.OutboxDone(context.WithoutCancel(ctx), t.name, done); err != nil {
		t.log.Error("outbox cleanup of the saved states stored at the start failed; retried with the next cleanup", "err", err)
		return kept, done
	}
	return kept, nil
}

func (t *transport) markDone(ctx context.Context, d delivery) {
	if d.key == 0 && d.commit == nil {
		return // not stored: nothing to clear
	}
	select {
	case t.doneKeys <- d:
	case <-ctx.Done():
		select {
		case t.doneKeys <- d:
		default:
		}
	}
}

// commitWait bounds how long the outbox cleanup waits for a delivered
// event's commit; outboxDrain, how long it goes on after the stop.
const (
	commitWait  = 10 * time.Second
	outboxDrain = 2 * time.Second
)

// outboxKey is a delivered event's outbox key, once its commit is done;
// 0 when it was not stored, or when the commit did not end by deadline
// (the entry then stays for a redelivery). waited is false when ctx
// ended the wait first: the stop, whose drain tries again.
func (t *transport) outboxKey(ctx context.Context, d delivery, deadline time.Time) (key uint64, waited bool) {
	if d.commit == nil {
		return d.key, true
	}
	wait := time.NewTimer(time.Until(deadline))
	defer wait.Stop()
	select {
	case <-d.commit.done:
	case <-wait.C:
		return 0, true
	case <-ctx.Done():
		return 0, false
	}
	if d.commit.err != nil || d.idx < 0 || !d.commit.fresh[d.idx] {
		return 0, true
	}
	return d.commit.keys[d.idx], true // 0 when it was delivered before the commit
}

// maxKeptRemovals bounds the outbox removals kept for a retry while the
// store fails them (8 bytes each): past it, while the store still fails,
// a delivered event's removal is not kept, its entry left in the outbox
// and delivered again at the next start, with the same XMPP id (clients
// take it for the one they have); nothing is lost. A saved state's is
// kept all the same (few, one a login's change): left while a newer one
// leaves, the next start would store it over the newer (savedStatesFirst).
// A variable for the tests.
var maxKeptRemovals = 1 << 16

// outboxDoneLoop removes delivered events from the outbox in batches: one
// store write for many messages; first keys (savedStatesFirst's undone).
//
// A batch the store fails is kept, and tried again with the next one: an
// entry never leaves the outbox after one delivered after it. Else a
// saved state whose removal failed stayed while a newer one of its login
// left, and the next start stored the older over the newer
// (savedStatesFirst); other entries were delivered twice. While the
// store fails, the retry waits for the tick: a full batch tried again
// at each delivery was a store write per message.
func (t *transport) outboxDoneLoop(ctx context.Context, keys []uint64) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	const what = "outbox cleanup"
	failing := false
	unkept := 0 // removals not kept since the store last took a batch
	keep := func(d delivery, k uint64) {
		if k == 0 {
			return
		}
		if failing && len(keys) >= maxKeptRemovals && d.ev.GetSavedState() == nil {
			if unkept++; unkept == 1 {
				t.log.Warn("outbox cleanup: the store still fails and enough removals wait; those of the events delivered from now stay in the outbox until the store works again: delivered again at the next start, with the same ids",
					"waiting", len(keys))
			}
			return
		}
		keys = append(keys, k)
	}
	flush := func() {
		if len(keys) == 0 {
			return
		}
		if err := t.db.OutboxDone(context.WithoutCancel(ctx), t.name, keys); err != nil {
			failing = true
			t.storeFails.fail(t.log, slog.LevelError, what, "outbox cleanup failed; retried with the next", err)
			return
		}
		failing = false
		t.storeFails.worked(t.log, what)
		keys = keys[:0]
		if unkept > 0 {
			t.log.Info("outbox cleanup works again; the events whose removal was not kept meanwhile are delivered again at the next start", "events", unkept)
			unkept = 0
		}
	}
	var held []delivery // waiting for their commits when the stop came
	for ctx.Err() == nil {
		select {
		case d := <-t.doneKeys:
			k, waited := t.outboxKey(ctx, d, time.Now().Add(commitWait))
			if !waited {
				held = append(held, d)
			}
			keep(d, k)
			if len(keys) >= 512 && !failing {
				flush()
			}
		case <-tick.C:
			flush()
		case <-ctx.Done():
		}
	}
	// Writes under way confirm for a moment after the stop: take them
	// until things are quiet, so a clean stop leaves nothing to deliver
	// twice; but no longer than outboxDrain in all, since a commit
	// dropped at the stop (its batch never reached the store writer)
	// never ends.
	end := time.Now().Add(outboxDrain)
	take := func(d delivery) {
		k, _ := t.outboxKey(context.Background(), d, end)
		keep(d, k)
	}
	for _, d := range held {
		take(d)
	}
	quiet := time.NewTimer(200 * time.Millisecond)
	defer quiet.Stop()
	limit := time.NewTimer(time.Until(end))
	defer limit.Stop()
drain:
	for time.Now().Before(end) {
		select {
		case d := <-t.doneKeys:
			take(d)
			quiet.Reset(200 * time.Millisecond)
		case <-quiet.C:
			break drain
		case <-limit.C:
			break drain
		}
	}
	flush()
}
