package pluginhost

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestHoldsOfRetriedCommands: the commands in flight when the plugin
// died are each held (SendHolding's hold: the caller's record of what a
// crash of the gateway would lose) before any of them waits for the next
// plugin. They are sent again one after the other, each waiting: a
// later one held only when its turn came was lost to a gateway killed
// meanwhile (TestChaos).
func TestHoldsOfRetriedCommands(t *testing.T) {
	h := New(Config{Name: "echo", Log: slog.New(slog.DiscardHandler), HoldTimeout: time.Hour})
	held := make(chan string, 4)
	results := make(chan *pb.CommandResult, 2)
	for i, txn := range []string{"t1", "t2"} {
		id := uint64(i + 1)
		h.pending[id] = &inflight{
			cmd:  &pb.Command{CorrelationId: id, TxnId: txn, LoginId: "l", ChatId: "c"},
			hold: func() { held <- txn },
			cb:   func(r *pb.CommandResult) { results <- r },
		}
	}
	h.down()
	got := map[string]bool{}
	for !got["t1"] || !got["t2"] {
		select {
		case txn := <-held:
			got[txn] = true
		case <-time.After(30 * time.Second):
			t.Fatalf("held %v while the first retried command waits for the plugin, want both", got)
		}
	}
	// The plugin is "ready" with no stream: both fail, and end.
	h.mu.Lock()
	close(h.ready)
	h.mu.Unlock()
	for range 2 {
		if r := <-results; r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
			t.Errorf("result %v, want UNAVAILABLE", r)
		}
	}
}

// sentStream is a Commands stream that notes what is sent on it.
type sentStream struct {
	pb.Transport_CommandsClient
	sent chan string
}

func (s *sentStream) Send(c *pb.Command) error {
	s.sent <- c.TxnId
	return nil
}

// TestRetriedCommandsFirst: a new command that waits for the restarted
// plugin goes on the stream after those in flight when the old one
// died, which are sent again: the stream's order is each chat's order
// (TestChaos found a chat's later message at the network first).
func TestRetriedCommandsFirst(t *testing.T) {
	h := New(Config{Name: "echo", Log: slog.New(slog.DiscardHandler), HoldTimeout: time.Hour})
	held := make(chan string, 4)
	for i, txn := range []string{"old 1", "old 2"} {
		id := uint64(i + 1)
		h.pending[id] = &inflight{cmd: &pb.Command{CorrelationId: id, TxnId: txn}, hold: func() { held <- txn }, cb: func(*pb.CommandResult) {}}
	}
	h.down()
	go h.SendHolding(&pb.Command{TxnId: "new"}, func() { held <- "new" }, func(*pb.CommandResult) {})
	got := map[string]bool{}
	for len(got) < 3 {
		select {
		case txn := <-held:
			got[txn] = true
		case <-time.After(30 * time.Second):
			t.Fatalf("held %v, want all three waiting", got)
		}
	}
	s := &sentStream{sent: make(chan string, 3)}
	out := make(chan *pb.Command, 8)
	wctx, wcancel := context.WithCancel(context.Background())
	defer wcancel()
	go h.writeCommands(wctx, s, out)
	h.mu.Lock()
	h.cmds, h.out = s, out
	close(h.ready)
	h.mu.Unlock()
	var order []string
	for range 3 {
		select {
		case txn := <-s.sent:
			order = append(order, txn)
		case <-time.After(30 * time.Second):
			t.Fatalf("sent %v, want three", order)
		}
	}
	if want := []string{"old 1", "old 2", "new"}; !slices.Equal(order, want) {
		t.Fatalf("sent %v, want %v", order, want)
	}
}

// stoppedHost is a host whose gateway stops (Run's context ended), with
// no plugin, and commands wait for one an hour.
func stoppedHost() *Host {
	h := New(Config{Name: "echo", Log: slog.New(slog.DiscardHandler), HoldTimeout: time.Hour})
	stop := make(chan struct{})
	close(stop)
	h.stopping = stop
	return h
}

// TestStopLeavesInFlightToRecords: at a stop of the gateway the commands
// in flight are settled by the time down returns, with no retry that
// waits for a plugin that does not come: one with a txn_id is held (the
// caller's record sends it at the next start) and not answered, as an
// answer has the caller forget its record; one without fails with
// UNAVAILABLE. Before, each txn command was sent again in turn, each
// waiting HoldTimeout, after the stop.
func TestStopLeavesInFlightToRecords(t *testing.T) {
	h := stoppedHost()
	var mu sync.Mutex
	held, answered := map[string]int{}, map[string]*pb.CommandResult{}
	for i, txn := range []string{"t1", "", "t2", "", "t3"} {
		id := uint64(i + 1)
		name := txn
		if name == "" {
			name = "plain " + strconv.Itoa(i)
		}
		h.pending[id] = &inflight{
			cmd:  &pb.Command{CorrelationId: id, TxnId: txn},
			hold: func() { mu.Lock(); held[name]++; mu.Unlock() },
			cb:   func(r *pb.CommandResult) { mu.Lock(); answered[name] = r; mu.Unlock() },
		}
	}
	h.pending[9] = &inflight{cmd: &pb.Command{CorrelationId: 9, TxnId: "retried"}, retried: true,
		hold: func() { mu.Lock(); held["retried"]++; mu.Unlock() },
		cb:   func(r *pb.CommandResult) { mu.Lock(); answered["retried"] = r; mu.Unlock() }}
	h.down()
	mu.Lock()
	defer mu.Unlock()
	for _, txn := range []string{"t1", "t2", "t3", "retried"} {
		if held[txn] != 1 || answered[txn] != nil {
			t.Errorf("%s: held %d times, answered %v; want held once, no answer", txn, held[txn], answered[txn])
		}
	}
	for _, name := range []string{"plain 1", "plain 3"} {
		if r := answered[name]; r.GetError().GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
			t.Errorf("%s: answered %v, want UNAVAILABLE", name, r)
		}
	}
	if h.retrying != nil {
		t.Error("the stop sends commands in flight again, to a plugin that does not come")
	}
}

// TestSendAtStopDoesNotWait: a command sent once the gateway stops,
// with no plugin, does not wait HoldTimeout for one: without a txn_id it
// fails with UNAVAILABLE; with one it is held, and not answered (the
// caller's record has it).
func TestSendAtStopDoesNotWait(t *testing.T) {
	h := stoppedHost()
	results, txnResults := make(chan *pb.CommandResult, 1), make(chan *pb.CommandResult, 1)
	held := 0
	within(t, "a send at a stop", 30*time.Second, func() {
		h.SendHolding(&pb.Command{TxnId: "t1"}, func() { held++ }, func(r *pb.CommandResult) { txnResults <- r })
		h.Send(&pb.Command{}, func(r *pb.CommandResult) { results <- r })
	})
	if held != 1 {
		t.Errorf("the txn command was held %d times, want once", held)
	}
	if r := <-results; r.GetError().GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Errorf("result %v, want UNAVAILABLE", r)
	}
	select {
	case r := <-txnResults:
		t.Errorf("the held txn command was answered: %v", r)
	default:
	}
}

// TestRetriedCommandsShareOneHold: the commands in flight when the
// plugin died, sent again while no plugin comes, wait until one
// deadline for all: each caller hears within one HoldTimeout. Before,
// each waited HoldTimeout in turn, so the N-th heard after N of them.
func TestRetriedCommandsShareOneHold(t *testing.T) {
	h := New(Config{Name: "echo", Log: slog.New(slog.DiscardHandler), HoldTimeout: 50 * time.Millisecond})
	var mu sync.Mutex
	var waits []time.Time
	h.holdWait = func(until time.Time) {
		mu.Lock()
		waits = append(waits, until)
		mu.Unlock()
	}
	const n = 4
	results := make(chan *pb.CommandResult, n)
	for i := range n {
		id := uint64(i + 1)
		h.pending[id] = &inflight{
			cmd:  &pb.Command{CorrelationId: id, TxnId: "t" + strconv.Itoa(i), LoginId: "l", ChatId: "c"},
			hold: func() {},
			cb:   func(r *pb.CommandResult) { results <- r },
		}
	}
	h.down()
	for range n {
		select {
		case r := <-results:
			if r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
				t.Errorf("result %v, want UNAVAILABLE", r)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a retried command never heard")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waits) != n {
		t.Fatalf("%d waits for the plugin, want %d", len(waits), n)
	}
	for i, w := range waits {
		if !w.Equal(waits[0]) {
			t.Fatalf("wait %d ends at %v, the first at %v: each retried command waits a hold of its own", i, w, waits[0])
		}
	}
}
