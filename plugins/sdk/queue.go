package sdk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

func sortEvents(evs []*pb.Event) {
	slices.SortFunc(evs, func(a, b *pb.Event) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
}

// errStreamReplaced ends a stream when the host opens a newer one.
var errStreamReplaced = errors.New("sdk: event stream replaced by a newer one")

// eventQueue holds the events the host has not acknowledged yet, in seq
// order, and feeds them to the current Events stream.
type eventQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	pending []*pb.Event
	nextSeq uint64
	acked   uint64
	gen     uint64 // current stream generation
	closed  bool
	done    chan struct{} // closed by close: no ack comes any more
	waiters map[uint64][]chan struct{}
	j       *journal // nil: memory only
	live    int64    // journal bytes of the pending events
	log     *slog.Logger
	// txns gives the answers to keep when the journal is rewritten.
	txns func() []txnAnswer
	// trace is WithTrace's hook, nil when off.
	trace func(stage Stage, text string)

	// backlogWarn is the count of unacknowledged events at which the
	// next backlog warning is logged (backlog.go); 0 means backlogWarnAt.
	backlogWarn int
	// jerr limits the logs of a journal that cannot write (journalerr.go).
	jerr journalErrs

	// syncMu serialises fsyncs of the journal, and a compaction's swap of
	// the file with them; it is taken before mu.
	syncMu sync.Mutex
	// compacting is set while a compaction writes its snapshot, outside
	// mu; compactHook (tests) runs then.
	compacting  bool
	compactHook func()
}

func newEventQueue(j *journal, pending []*pb.Event, acked, maxSeq uint64, log *slog.Logger) *eventQueue {
	q := &eventQueue{pending: pending, nextSeq: maxSeq + 1, acked: acked, waiters: map[uint64][]chan struct{}{}, done: make(chan struct{}), j: j, log: log}
	q.cond = sync.NewCond(&q.mu)
	if j != nil {
		for _, ev := range pending {
			q.live += eventRecordSize(ev)
		}
	}
	return q
}

// emit queues ev and returns its seq; 0, with the reason, when ev was
// dropped: it lacks what the gateway needs (checkEvent), it cannot be
// encoded, or the queue has closed.
func (q *eventQueue) emit(ev *pb.Event) (uint64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		// The journal is closed and no stream sends any more: queued, the
		// event would be lost with the process, without a word. Each says
		// what it was: the network is the one to deliver it again.
		q.log.Error("event dropped: emitted after the plugin's stop, it is neither journalled nor sent",
			"event_id", ev.EventId, "login_id", ev.LoginId, "chat_id", ev.ChatId, "kind", eventKind(ev))
		return 0, errEmitAfterStop
	}
	if err := checkEvent(ev); err != nil {
		// The gateway would store it and drop it, saying nothing the
		// plugin's author sees: said here, with the event.
		q.log.Error("event dropped: the gateway could not deliver it", "reason", err.Error(),
			"event_id", ev.EventId, "login_id", ev.LoginId, "chat_id", ev.ChatId, "kind", eventKind(ev))
		return 0, err
	}
	ev.Seq = q.nextSeq
	data, err := q.encode(ev)
	if err != nil {
		// Queued, it would break the event stream at every try.
		q.log.Error("event dropped: it cannot be sent", "event_id", ev.EventId, "err", err)
		return 0, errUnencodable
	}
	q.nextSeq++
	if q.j != nil {
		if err := q.j.write(recEvent, data); err != nil {
			// The event still goes out; only a crash before the ack
			// would lose it.
			q.journalWriteFailedLocked(err)
		}
		q.live += eventRecordSize(ev)
	}
	q.pending = append(q.pending, ev)
	q.warnBacklogLocked()
	q.cond.Broadcast()
	return ev.Seq, nil
}

// errUnencodable is an event emit dropped: one that cannot be encoded,
// or is too large to send.
var errUnencodable = errors.New("sdk: the event cannot be encoded, or is too large to send (see the log); it was dropped")

// errEmitAfterStop is an event emitted once the queue closed.
var errEmitAfterStop = errors.New("sdk: event emitted after the plugin's stop: it was dropped, neither journalled nor sent (see the log)")

// eventKind names ev's payload for the log ("message", "presence", ...).
func eventKind(ev *pb.Event) string {
	if f := ev.ProtoReflect().WhichOneof(ev.ProtoReflect().Descriptor().Oneofs().ByName("payload")); f != nil {
		return string(f.Name())
	}
	return "none"
}

// encode is ev's encoding. Text that is not UTF-8 (a network's other
// charset) is replaced with U+FFFD, once, rather than losing the event.
// An event over MaxMessageBytes is an error: no stream could carry it.
func (q *eventQueue) encode(ev *pb.Event) ([]byte, error) {
	data, err := proto.Marshal(ev)
	if err != nil && repairUTF8(ev.ProtoReflect()) {
		q.log.Warn("an event's text was not UTF-8: what was not is replaced with U+FFFD", "event_id", ev.EventId)
		data, err = proto.Marshal(ev)
	}
	if err == nil && len(data) > MaxMessageBytes {
		return nil, fmt.Errorf("%w: %d bytes, over the %d of a message (a file goes by ref or url, not inline)", errTooLarge, len(data), MaxMessageBytes)
	}
	return data, err
}

// errTooLarge is an event or a history batch no stream can carry.
var errTooLarge = errors.New("sdk: too large to send")

// wait returns a channel closed once seq is acknowledged.
func (q *eventQueue) wait(seq uint64) <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	ch := make(chan struct{})
	if seq <= q.acked {
		close(ch)
		return ch
	}
	q.waiters[seq] = append(q.waiters[seq], ch)
	return ch
}

// errQueueClosed ends a wait for an ack: the plugin shuts down, and no
// ack comes any more.
var errQueueClosed = errors.New("sdk: plugin shutting down; the event is kept in the journal, not yet stored by the host")

// waitAcked waits until seq is acknowledged, ctx ends or the queue closes
// (errQueueClosed).
func (q *eventQueue) waitAcked(ctx context.Context, seq uint64) error {
	acked := q.wait(seq)
	select {
	case <-acked:
		return nil
	case <-q.done:
		select {
		case <-acked: // acknowledged just before
			return nil
		default:
			return errQueueClosed
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (q *eventQueue) ack(upTo uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if upTo <= q.acked {
		return
	}
	upTo = min(upTo, q.nextSeq-1)
	q.acked = upTo
	i := 0
	for i < len(q.pending) && q.pending[i].Seq <= upTo {
		if q.j != nil {
			q.live -= eventRecordSize(q.pending[i])
		}
		q.pending[i] = nil
		i++
	}
	q.pending = q.pending[i:]
	q.rearmBacklogLocked()
	for seq, chs := range q.waiters {
		if seq <= upTo {
			for _, ch := range chs {
				close(ch)
			}
			delete(q.waiters, seq)
		}
	}
	if q.j == nil {
		return
	}
	if err := q.j.appendAck(upTo); err != nil {
		q.journalWriteFailedLocked(err)
	}
	// To the kernel now, not with the next event or result: a plugin
	// idle since would replay, after a crash, what the host stored, and
	// an event without an event_id (the host's only dedup key) would show
	// twice. One write per ack, and the host acks a batch at a time.
	q.flushLocked()
	q.compactIfDueLocked()
}

// compactIfDueLocked rewrites the log once it is big and mostly dead
// records: acknowledged events, and answers the cache forgot or holds
// twice. It runs where the log grows, an ack or an answer: a plugin that
// answers commands and emits no event gets no ack, and its log grew
// without end. Compacting whenever the log is big would rewrite a large
// backlog on every ack while the host catches up with it, and all the
// kept answers on every command: the log must have grown past twice the
// events pending and twice the answers the last compaction kept. mu is
// held, and let go meanwhile.
func (q *eventQueue) compactIfDueLocked() {
	if q.compacting || q.closed || q.j.size <= compactBytes || q.j.size <= 2*q.live || q.j.size <= 2*q.j.keptTxns {
		return
	}
	var txns []txnAnswer
	if q.txns != nil {
		txns = q.txns()
	}
	pending, acked := slices.Clone(q.pending), q.acked
	q.j.beginCompact()
	q.compacting = true
	q.mu.Unlock()
	// The snapshot (megabytes, and an fsync) is written without the lock:
	// emits and streams go on meanwhile, and what they write is appended
	// after it when the file is swapped in.
	f, size, err := writeSnapshot(q.j.path, pending, acked, txns, q.j.fsync)
	if q.compactHook != nil {
		q.compactHook()
	}
	q.syncMu.Lock()
	q.mu.Lock()
	defer q.syncMu.Unlock()
	q.compacting = false
	if q.closed {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
		return
	}
	if err := q.j.endCompact(f, size, err); err != nil {
		q.log.Error("event journal compaction failed", "err", err)
		// Not again at every command: once the log doubled.
		q.j.keptTxns = q.j.size
		return
	}
	q.j.keptTxns = txnRecordsSize(txns)
}

// sync makes the journal durable up to seq's record, unless the host has
// acknowledged seq (then the host has it). Callers waiting together share
// an fsync.
func (q *eventQueue) sync(seq uint64) error {
	q.syncMu.Lock()
	defer q.syncMu.Unlock()
	q.mu.Lock()
	if q.j == nil || seq <= q.acked {
		q.mu.Unlock()
		return nil
	}
	if q.closed {
		q.mu.Unlock()
		return errors.New("sdk: plugin shutting down")
	}
	if err := q.flushJournalLocked(); err != nil {
		q.mu.Unlock()
		return err
	}
	j, size := q.j, q.j.size
	q.mu.Unlock()
	if j.synced >= size {
		return nil
	}
	// The fsync runs without mu (emits go on); syncMu keeps a
	// compaction from swapping the file under it.
	if err := syncFile(j.fsync, j.f); err != nil {
		return fmt.Errorf("sdk: sync event journal: %w", err)
	}
	q.mu.Lock()
	j.synced = max(j.synced, size)
	q.mu.Unlock()
	return nil
}

// newStream starts a stream generation; older streams stop.
func (q *eventQueue) newStream() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.gen++
	q.cond.Broadcast()
	return q.gen
}

// stream sends every unacknowledged event from the oldest on, then new
// ones as they come, until ctx ends, send fails or a newer stream starts.
func (q *eventQueue) stream(ctx context.Context, gen uint64, send func(*pb.Event) error) error {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.cond.Broadcast()
		q.mu.Unlock()
	})
	defer stop()
	q.mu.Lock()
	cursor := q.acked + 1
	for {
		for q.gen == gen && !q.closed && ctx.Err() == nil && cursor >= q.nextSeq {
			q.cond.Wait()
		}
		switch {
		case ctx.Err() != nil:
			q.mu.Unlock()
			return ctx.Err()
		case q.closed:
			q.mu.Unlock()
			return errors.New("sdk: plugin shutting down")
		case q.gen != gen:
			q.mu.Unlock()
			return errStreamReplaced
		}
		// Events acknowledged meanwhile need not be sent.
		cursor = max(cursor, q.acked+1)
		// pending is in seq order but may have holes (a journal record
		// lost to corruption): find the cursor rather than compute it.
		start, _ := slices.BinarySearchFunc(q.pending, cursor, func(ev *pb.Event, seq uint64) int {
			return cmp.Compare(ev.Seq, seq)
		})
		batch := slices.Clone(q.pending[start:min(len(q.pending), start+256)])
		if len(batch) == 0 {
			// Nothing at or past the cursor: do not spin on a hole.
			cursor = q.nextSeq
		}
		q.flushLocked()
		q.mu.Unlock()
		for _, ev := range batch {
			if err := send(ev); err != nil {
				return err
			}
			if q.trace != nil {
				q.trace(StageEvent, ev.GetMessage().GetText())
			}
			cursor = ev.Seq + 1
		}
		q.mu.Lock()
	}
}

// appendTxn logs an answer to a txn_id, written with the next flush.
func (q *eventQueue) appendTxn(a txnAnswer) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.j == nil {
		return
	}
	if err := q.j.appendTxn(a); err != nil {
		q.journalWriteFailedLocked(err)
	}
	q.compactIfDueLocked()
}

// flush hands the journal's buffered records to the kernel.
func (q *eventQueue) flush() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.flushLocked()
}

func (q *eventQueue) flushLocked() {
	if q.j == nil {
		return
	}
	if err := q.flushJournalLocked(); err != nil {
		q.journalWriteFailedLocked(err)
	}
}

// flushJournalLocked is the journal's flush, saying when it writes again
// after failures.
func (q *eventQueue) flushJournalLocked() error {
	wrote := len(q.j.pend) > 0
	err := q.j.flush()
	if err == nil && wrote {
		q.journalWroteLocked()
	}
	return err
}

func (q *eventQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	close(q.done)
	q.cond.Broadcast()
	if q.j != nil {
		if err := q.j.close(); err != nil {
			q.log.Error("event journal close failed: the events not yet acknowledged may not be replayed at the next start",
				"unacknowledged", len(q.pending), "err", err)
		}
	}
}
