package sdk

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// filler answers Backfill with batches batches of one message each,
// sent with SendHistory from a goroutine, as a plugin would.
type filler struct {
	plain
	host    func() Host
	batches int
	sent    atomic.Int32 // SendHistory calls returned
}

func (f *filler) Backfill(_ context.Context, req BackfillRequest) error {
	go func() {
		for i := range f.batches {
			b := &pb.HistoryBatch{LoginId: f.info.LoginID, ChatId: req.ChatID, Cursor: fmt.Sprint("c", i),
				Events: []*pb.Event{{EventId: fmt.Sprint("h", i), Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: fmt.Sprint("old ", i)}}}}}
			if err := f.host().SendHistory(context.Background(), b); err != nil {
				return
			}
			f.sent.Add(1)
		}
	}()
	return nil
}

func startFiller(t *testing.T, dir string, batches int) (pb.TransportClient, *filler, func()) {
	t.Helper()
	n := &testNet[*filler]{}
	f := &filler{host: func() Host { return n.host }, batches: batches}
	n.mk = func(l LoginInfo) *filler { f.info = l; return f }
	c, crash := startServerCrash(t, newConnectorTransport[*filler](n), dir)
	connectLogin(t, c, "a")
	return c, f, crash
}

// recvBatch reads the next batch, failing after waitLimit.
func recvBatch(t *testing.T, s pb.Transport_HistoryClient) *pb.HistoryBatch {
	t.Helper()
	b, err := s.Recv()
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	return b
}

// History goes on its own stream with its own window: the plugin's
// SendHistory waits once HistoryWindow batches are unacknowledged, live
// events flow meanwhile, and acknowledgements let the rest through.
func TestHistoryWindowNeverBlocksLiveEvents(t *testing.T) {
	const total = HistoryWindow + 3
	c, f, _ := startFiller(t, "", total)
	ctx := testContext(t)
	caps, err := c.Init(ctx, &pb.InitRequest{})
	if err != nil || !caps.Features.Backfill {
		t.Fatalf("Init: %v %v, want backfill advertised", caps, err)
	}
	hist, err := c.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Backfill(ctx, &pb.BackfillRequest{LoginId: "a", ChatId: "g"}); err != nil {
		t.Fatal(err)
	}
	var first []*pb.HistoryBatch
	for range HistoryWindow {
		first = append(first, recvBatch(t, hist))
	}
	for i, b := range first {
		if i > 0 && b.Seq <= first[i-1].Seq {
			t.Fatalf("seq does not grow: %d then %d", first[i-1].Seq, b.Seq)
		}
		ev := b.Events[0]
		if b.LoginId != "a" || b.ChatId != "g" || ev.LoginId != "a" || ev.ChatId != "g" || !ev.IsBackfill {
			t.Fatalf("batch %d: %v", i, b)
		}
	}
	// The window is full: the plugin waits.
	time.Sleep(100 * time.Millisecond)
	if n := f.sent.Load(); n != HistoryWindow {
		t.Fatalf("%d SendHistory calls returned with none acknowledged, want %d", n, HistoryWindow)
	}
	// Live events do not wait behind it.
	evs, err := c.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.host().Emit(msgEvent("live"))
	ev, err := evs.Recv()
	if err != nil || ev.GetMessage().GetText() != "live" {
		t.Fatalf("live event behind a full history window: %v %v", ev, err)
	}
	// A new History stream replays what was not acknowledged.
	hist2, err := c.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b := recvBatch(t, hist2); b.Seq != first[0].Seq {
		t.Fatalf("replay starts at seq %d, want %d", b.Seq, first[0].Seq)
	}
	// Acknowledging three lets the last three through.
	if err := hist2.Send(&pb.HistoryAck{UpToSeq: first[2].Seq}); err != nil {
		t.Fatal(err)
	}
	seen := map[uint64]bool{}
	for len(seen) < 3 {
		b := recvBatch(t, hist2)
		if b.Seq > first[HistoryWindow-1].Seq {
			seen[b.Seq] = true
		}
	}
	if n := f.sent.Load(); n != total {
		t.Errorf("%d SendHistory calls returned, want %d", n, total)
	}
}

// Batch seqs grow across a restart on the same data folder, so the host,
// which drops a batch whose seq it acknowledged, never drops a new one.
func TestHistorySeqSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	c, _, crash := startFiller(t, dir, 2)
	ctx := testContext(t)
	hist, _ := c.History(ctx)
	c.Backfill(ctx, &pb.BackfillRequest{LoginId: "a", ChatId: "g"})
	recvBatch(t, hist)
	last := recvBatch(t, hist).Seq
	crash()

	c, _, _ = startFiller(t, dir, 1)
	hist, _ = c.History(ctx)
	c.Backfill(ctx, &pb.BackfillRequest{LoginId: "a", ChatId: "g"})
	if b := recvBatch(t, hist); b.Seq <= last {
		t.Fatalf("after a restart a batch has seq %d, not after %d", b.Seq, last)
	}
}

// A batch without its login or chat is refused, not sent.
func TestHistoryBatchNeedsLoginAndChat(t *testing.T) {
	q, err := newHistoryQueue("")
	if err != nil {
		t.Fatal(err)
	}
	if err := q.send(context.Background(), &pb.HistoryBatch{LoginId: "a"}); err == nil {
		t.Fatal("a batch without chat_id was queued")
	}
}

// SendHistoryWait returns once the host acknowledged the batch, not once
// it is queued or sent: a plugin that forgets pushed history then loses
// none when either process dies first. A batch sent and not acknowledged
// on a stream that broke comes again on the next one, and its
// acknowledgement there ends the wait.
func TestSendHistoryWaitForStored(t *testing.T) {
	c, f, _ := startFiller(t, "", 0)
	ctx := testContext(t)
	h, ok := f.host().(HistoryWaiter)
	if !ok {
		t.Fatal("the SDK's Host is no HistoryWaiter")
	}
	batch := func(id string) *pb.HistoryBatch {
		return &pb.HistoryBatch{LoginId: "a", ChatId: "g", Cursor: id,
			Events: []*pb.Event{{EventId: id, Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: id}}}}}
	}
	sctx, stop := context.WithCancel(ctx)
	hist, err := c.History(sctx)
	if err != nil {
		t.Fatal(err)
	}

	// Sent and never acknowledged: still waiting when its context ends.
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.SendHistoryWait(wctx, batch("h1")) }()
	first := recvBatch(t, hist)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("SendHistoryWait of a batch the host never acknowledged: %v, want it waiting until its context ended", err)
	}

	// The stream breaks (the host went away before storing it); the
	// batch comes again on the next one.
	go func() { done <- SendHistoryWait(ctx, f.host(), batch("h2")) }()
	if b := recvBatch(t, hist); b.Events[0].EventId != "h2" {
		t.Fatalf("second batch: %v", b)
	}
	stop()
	hist, err = c.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again := []*pb.HistoryBatch{recvBatch(t, hist), recvBatch(t, hist)}
	if again[0].Seq != first.Seq || again[1].Events[0].EventId != "h2" {
		t.Fatalf("on the new stream: %v, want h1 (seq %d) then h2 again", again, first.Seq)
	}
	select {
	case err := <-done:
		t.Fatalf("SendHistoryWait returned before any acknowledgement: %v", err)
	default:
	}
	if err := hist.Send(&pb.HistoryAck{UpToSeq: again[1].Seq}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("SendHistoryWait once acknowledged: %v", err)
	}
}

// A Host of the plugin's own that cannot say when history is stored is
// an error for SendHistoryWait, not a batch taken as stored.
func TestSendHistoryWaitNeedsWaiter(t *testing.T) {
	var h struct{ Host }
	if err := SendHistoryWait(context.Background(), h, &pb.HistoryBatch{LoginId: "a", ChatId: "g"}); !errors.Is(err, errNoHistoryWait) {
		t.Fatalf("SendHistoryWait with a Host without it: %v", err)
	}
}
