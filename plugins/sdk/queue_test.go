package sdk

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// streamRun is one q.stream running in its own goroutine, as the Events
// handler runs it.
type streamRun struct {
	evs    chan *pb.Event
	done   chan error
	cancel context.CancelFunc
}

func runStream(t *testing.T, q *eventQueue) *streamRun {
	return runStreamSend(t, q, nil)
}

// runStreamSend starts a stream whose send fails with the error fail
// returns (nil fail: never fails).
func runStreamSend(t *testing.T, q *eventQueue, fail func(*pb.Event) error) *streamRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &streamRun{evs: make(chan *pb.Event, 4096), done: make(chan error, 1), cancel: cancel}
	gen := q.newStream()
	go func() {
		r.done <- q.stream(ctx, gen, func(ev *pb.Event) error {
			if fail != nil {
				if err := fail(ev); err != nil {
					return err
				}
			}
			r.evs <- ev
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

func (r *streamRun) next(t *testing.T) *pb.Event {
	t.Helper()
	select {
	case ev := <-r.evs:
		return ev
	case err := <-r.done:
		r.done <- err
		t.Fatalf("stream ended (%v) while an event was expected", err)
	case <-time.After(waitLimit):
		t.Fatal("no event")
	}
	return nil
}

func (r *streamRun) nextSeqs(t *testing.T, n int) []uint64 {
	t.Helper()
	var out []uint64
	for range n {
		out = append(out, r.next(t).Seq)
	}
	return out
}

func (r *streamRun) end(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(waitLimit):
		t.Fatal("stream did not end")
	}
	return nil
}

func memQueue() *eventQueue { return newEventQueue(nil, nil, 0, 0, discardLogger()) }

func TestQueueStreamSendsPendingThenNewInOrder(t *testing.T) {
	dir := t.TempDir()
	j, _, _, _ := mustOpenJournal(t, dir)
	writeEvents(t, j, 1, 5)
	j.appendAck(3)
	j.close()
	j, pending, acked, maxSeq := mustOpenJournal(t, dir)
	q := newEventQueue(j, pending, acked, maxSeq, discardLogger())

	r := runStream(t, q)
	if got, want := r.nextSeqs(t, 2), []uint64{4, 5}; !slices.Equal(got, want) {
		t.Fatalf("replayed %v, want %v", got, want)
	}
	for range 300 { // more than one batch
		q.emit(msgEvent("new"))
	}
	got := r.nextSeqs(t, 300)
	for i, s := range got {
		if s != uint64(6+i) {
			t.Fatalf("event %d has seq %d, want %d (all: %v)", i, s, 6+i, got)
		}
	}
}

func TestQueueEmitNumbersFromOne(t *testing.T) {
	q := memQueue()
	ev := msgEvent("a")
	if seq, _ := q.emit(ev); seq != 1 || ev.Seq != 1 {
		t.Fatalf("first seq %d (event says %d), want 1", seq, ev.Seq)
	}
	if seq, _ := q.emit(msgEvent("b")); seq != 2 {
		t.Fatalf("second seq %d, want 2", seq)
	}
}

func TestQueueAckRemovesFromReplay(t *testing.T) {
	q := memQueue()
	for range 5 {
		q.emit(msgEvent("a"))
	}
	r := runStream(t, q)
	if got := r.nextSeqs(t, 5); !slices.Equal(got, []uint64{1, 2, 3, 4, 5}) {
		t.Fatalf("got %v", got)
	}
	q.ack(3)
	if got := seqs(q.pending); !slices.Equal(got, []uint64{4, 5}) {
		t.Fatalf("pending after ack(3): %v, want [4 5]", got)
	}
	r2 := runStream(t, q)
	if got := r2.nextSeqs(t, 2); !slices.Equal(got, []uint64{4, 5}) {
		t.Fatalf("new stream replayed %v, want [4 5]", got)
	}
	// An older ack changes nothing.
	q.ack(2)
	if got := seqs(q.pending); !slices.Equal(got, []uint64{4, 5}) {
		t.Fatalf("pending after stale ack: %v, want [4 5]", got)
	}
}

// An ack past the last event cannot acknowledge events not emitted yet.
func TestQueueAckBeyondLastEventIsClamped(t *testing.T) {
	q := memQueue()
	q.emit(msgEvent("a"))
	q.ack(100)
	seq, _ := q.emit(msgEvent("b"))
	r := runStream(t, q)
	if ev := r.next(t); ev.Seq != seq || ev.GetMessage().GetText() != "b" {
		t.Fatalf("got %v, want the event emitted after the ack (seq %d)", ev, seq)
	}
}

func TestQueueNewerStreamEndsOlder(t *testing.T) {
	q := memQueue()
	q.emit(msgEvent("a"))
	r1 := runStream(t, q)
	r1.next(t)
	r2 := runStream(t, q)
	if err := r1.end(t); !errors.Is(err, errStreamReplaced) {
		t.Fatalf("older stream ended with %v, want errStreamReplaced", err)
	}
	// The newer one replays the unacknowledged event and goes on.
	if ev := r2.next(t); ev.Seq != 1 {
		t.Fatalf("newer stream got seq %d first, want 1", ev.Seq)
	}
	q.emit(msgEvent("b"))
	if ev := r2.next(t); ev.Seq != 2 {
		t.Fatalf("newer stream got seq %d, want 2", ev.Seq)
	}
	select {
	case ev := <-r1.evs:
		t.Fatalf("replaced stream still received %v", ev)
	default:
	}
}

func TestQueueStreamEndsWithContext(t *testing.T) {
	q := memQueue()
	r := runStream(t, q)
	r.cancel()
	if err := r.end(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("stream ended with %v, want context.Canceled", err)
	}
}

func TestQueueStreamEndsOnClose(t *testing.T) {
	q := memQueue()
	r := runStream(t, q)
	q.close()
	if err := r.end(t); err == nil {
		t.Fatal("stream ended without error on close")
	}
}

// A failed send ends the stream; the event stays pending for the next one.
func TestQueueSendErrorKeepsEvent(t *testing.T) {
	q := memQueue()
	q.emit(msgEvent("a"))
	boom := errors.New("boom")
	r := runStreamSend(t, q, func(*pb.Event) error { return boom })
	if err := r.end(t); !errors.Is(err, boom) {
		t.Fatalf("stream ended with %v, want the send error", err)
	}
	r2 := runStream(t, q)
	if ev := r2.next(t); ev.Seq != 1 {
		t.Fatalf("next stream got seq %d, want 1", ev.Seq)
	}
}

// A journal with a hole in its numbering (a record lost to corruption)
// must not stall or crash the stream.
func TestQueueStreamToleratesSeqGap(t *testing.T) {
	dir := t.TempDir()
	j, _, _, _ := mustOpenJournal(t, dir)
	writeEvents(t, j, 1, 1)
	j.write(recEvent, []byte{0xff, 0xff}) // seq 2, undecodable
	writeEvents(t, j, 3, 3)
	j.close()
	j, pending, acked, maxSeq := mustOpenJournal(t, dir)
	q := newEventQueue(j, pending, acked, maxSeq, discardLogger())

	r := runStream(t, q)
	if got := r.nextSeqs(t, 2); !slices.Equal(got, []uint64{1, 3}) {
		t.Fatalf("replayed %v, want [1 3]", got)
	}
	q.emit(msgEvent("after"))
	q.emit(msgEvent("after2"))
	if got := r.nextSeqs(t, 2); !slices.Equal(got, []uint64{4, 5}) {
		t.Fatalf("then %v, want [4 5]", got)
	}
	q.ack(1)
	r2 := runStream(t, q)
	if got := r2.nextSeqs(t, 3); !slices.Equal(got, []uint64{3, 4, 5}) {
		t.Fatalf("after ack(1) a new stream replayed %v, want [3 4 5]", got)
	}
}

func newTestHost(t *testing.T) (host, *eventQueue) {
	t.Helper()
	s := newServer(newFakeTransport())
	s.q = memQueue()
	return host{s}, s.q
}

func TestEmitWaitReturnsAfterAck(t *testing.T) {
	h, q := newTestHost(t)
	r := runStream(t, q)
	done := make(chan error, 1)
	go func() { done <- h.EmitWait(context.Background(), msgEvent("a")) }()
	ev := r.next(t) // emitted and sent, not acknowledged
	select {
	case err := <-done:
		t.Fatalf("EmitWait returned (%v) before the ack", err)
	default:
	}
	q.ack(ev.Seq)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("EmitWait: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("EmitWait did not return after the ack")
	}
}

// A cumulative ack releases every waiter at or below it.
func TestEmitWaitReleasedByLaterAck(t *testing.T) {
	h, q := newTestHost(t)
	r := runStream(t, q)
	done := make(chan error, 2)
	go func() { done <- h.EmitWait(context.Background(), msgEvent("a")) }()
	r.next(t)
	go func() { done <- h.EmitWait(context.Background(), msgEvent("b")) }()
	r.next(t)
	q.emit(msgEvent("c"))
	r.next(t)
	q.ack(3)
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("EmitWait: %v", err)
			}
		case <-time.After(waitLimit):
			t.Fatal("EmitWait not released by a later cumulative ack")
		}
	}
}

func TestEmitWaitHonoursContext(t *testing.T) {
	h, q := newTestHost(t)
	r := runStream(t, q)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.EmitWait(ctx, msgEvent("a")) }()
	ev := r.next(t)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("EmitWait = %v, want context.Canceled", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("EmitWait ignored its context")
	}
	// The event is still delivered until acknowledged.
	if got := seqs(q.pending); !slices.Equal(got, []uint64{ev.Seq}) {
		t.Fatalf("pending %v, want [%d]", got, ev.Seq)
	}
	// Waiting on a seq already acknowledged does not block.
	q.ack(ev.Seq)
	select {
	case <-q.wait(ev.Seq):
	default:
		t.Fatal("wait on an acknowledged seq is not closed")
	}
}

// TestWaitAckedEndsAtClose: a wait for the host's ack (EmitWait's) ends
// with an error once the queue closes (the plugin shuts down), not only
// when its context does; one acknowledged before the close is nil.
func TestWaitAckedEndsAtClose(t *testing.T) {
	q := newEventQueue(nil, nil, 0, 0, discardLogger())
	first, _ := q.emit(msgEvent("a"))
	second, _ := q.emit(msgEvent("b"))
	q.ack(first)
	errs := make(chan error, 1)
	go func() { errs <- q.waitAcked(context.Background(), second) }()
	q.close()
	select {
	case err := <-errs:
		if !errors.Is(err, errQueueClosed) {
			t.Fatalf("wait after the close: %v, want errQueueClosed", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the wait for an ack still runs after the queue closed")
	}
	if err := q.waitAcked(context.Background(), first); err != nil {
		t.Fatalf("wait for an acknowledged event after the close: %v", err)
	}
}

// TestEmitWaitEndsAtClose: a plugin's EmitWait for an event the host
// never acknowledged returns once the queue closes (the plugin stops),
// with its context still live. It waited for its context alone before.
func TestEmitWaitEndsAtClose(t *testing.T) {
	s := newServer(newFakeTransport())
	s.q = newEventQueue(nil, nil, 0, 0, discardLogger())
	errs := make(chan error, 1)
	go func() { errs <- (host{s}).EmitWait(context.Background(), msgEvent("a")) }()
	for emitted := false; !emitted; time.Sleep(time.Millisecond) {
		s.q.mu.Lock()
		emitted = s.q.nextSeq > 1
		s.q.mu.Unlock()
	}
	s.q.close()
	select {
	case err := <-errs:
		if !errors.Is(err, errQueueClosed) {
			t.Fatalf("EmitWait after the close: %v, want errQueueClosed", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("EmitWait still waits after the queue closed")
	}
}
