package pluginhost

import (
	"log/slog"
	"slices"
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
	h.mu.Lock()
	h.cmds = s
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
