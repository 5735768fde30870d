package pluginhost

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// blockingCallback is a command callback that waits for release, then
// notes that it returned.
type blockingCallback struct {
	entered, release chan struct{}
	once             sync.Once
	returned         atomic.Bool
}

func newBlockingCallback() *blockingCallback {
	return &blockingCallback{entered: make(chan struct{}), release: make(chan struct{})}
}

func (b *blockingCallback) cb(*pb.CommandResult) {
	b.once.Do(func() { close(b.entered) })
	<-b.release
	b.returned.Store(true)
}

// hold is cb as a SendHolding's hold.
func (b *blockingCallback) hold() { b.cb(nil) }

// waitEntered waits for the callback to run.
func (b *blockingCallback) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-b.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the command's callback never ran")
	}
}

// closeReleasing closes h, letting the callback go a while after, so
// that a Close that does not wait for it returns first.
func closeReleasing(t *testing.T, h *Host, b *blockingCallback) {
	t.Helper()
	time.AfterFunc(500*time.Millisecond, func() { close(b.release) })
	within(t, "Close", 30*time.Second, h.Close)
	if !b.returned.Load() {
		t.Fatal("Close returned while a command's callback still ran: it runs the caller's code (a store write) after the caller's stop")
	}
}

// TestCloseWaitsForRefusal: a command sent once the real plugin's host
// stopped (Run returned) is refused at once; its callback, which runs
// the caller's code (a held record's store write), has returned by the
// time Close does. A command sent after Close gets its callback before
// Send returns. Before, the refusal's callback ran in a goroutine of its
// own, after the caller's stop and its store's close.
func TestCloseWaitsForRefusal(t *testing.T) {
	h := testHost(t, plugintest.BuildBinary(t, echoPkg))
	_, stop := runningReady(t, h)
	stop()
	b := newBlockingCallback()
	h.Send(&pb.Command{LoginId: "u", ChatId: "bob", Action: &pb.Command_Send{Send: &pb.SendMessage{Text: "late"}}}, b.cb)
	b.waitEntered(t)
	closeReleasing(t, h, b)

	var got *pb.CommandResult
	h.Send(&pb.Command{LoginId: "u", ChatId: "bob", Action: &pb.Command_Send{Send: &pb.SendMessage{Text: "later"}}},
		func(r *pb.CommandResult) { got = r })
	if got.GetError().GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Fatalf("a command sent after Close: callback got %v by Send's return, want UNAVAILABLE", got)
	}
}

// TestCloseWaitsForResultCallback: a result callback of the real
// plugin that outlasts the stop's wait for the commands in flight (its
// drain) has returned by the time Close does. Before, it ran on, after
// Run and the caller's stop.
func TestCloseWaitsForResultCallback(t *testing.T) {
	h := testHost(t, plugintest.BuildBinary(t, echoPkg))
	_, stop := runningReady(t, h)
	b := newBlockingCallback()
	h.Send(&pb.Command{LoginId: "u", ChatId: "bob", Action: &pb.Command_Send{Send: &pb.SendMessage{Text: "m"}}}, b.cb)
	b.waitEntered(t)
	stop() // the drain gives up on the callback after drainWait
	closeReleasing(t, h, b)
}

// TestCloseWithoutRun: a host never run refuses a command sent after
// Close at once, without a wait for a plugin (HoldTimeout).
func TestCloseWithoutRun(t *testing.T) {
	h := testHost(t, "/nonexistent")
	h.cfg.HoldTimeout = time.Hour
	h.Close()
	var got *pb.CommandResult
	within(t, "a Send after Close", 30*time.Second, func() {
		h.Send(&pb.Command{}, func(r *pb.CommandResult) { got = r })
	})
	if got.GetError().GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Fatalf("callback got %v, want UNAVAILABLE", got)
	}
}

// TestCloseWaitsForExpiry: the callback of a command the plugin did not
// answer in time, run by its expiry's timer, has returned by the time
// Close does. Before, the timer's goroutine was not waited for.
func TestCloseWaitsForExpiry(t *testing.T) {
	h := New(Config{Name: "echo", Log: slog.New(slog.DiscardHandler), CommandTimeout: 50 * time.Millisecond})
	s := newHeldStream() // the plugin never takes the command
	detach := attach(h, s)
	b := newBlockingCallback()
	h.Send(&pb.Command{LoginId: "u", ChatId: "bob", Action: &pb.Command_Send{Send: &pb.SendMessage{Text: "m"}}}, b.cb)
	b.waitEntered(t)
	detach()
	h.down()
	closeReleasing(t, h, b)
}

// TestCloseWaitsForResend: the resend of a dead plugin's commands in
// flight, begun before the gateway stopped, has ended by the time Close
// returns: its hold (the caller's record, a store write) and its send,
// which the stop ends at once (the command is held). Before, it ran in
// a goroutine nothing waited for.
func TestCloseWaitsForResend(t *testing.T) {
	h := New(Config{Name: "echo", Log: slog.New(slog.DiscardHandler), HoldTimeout: time.Hour})
	b := newBlockingCallback()
	h.pending[1] = &inflight{cmd: &pb.Command{CorrelationId: 1, TxnId: "t1", LoginId: "u", ChatId: "bob"},
		hold: b.hold, cb: func(r *pb.CommandResult) { t.Errorf("a held command was answered: %v", r) }}
	h.down() // the plugin died: t1 is sent again to the next one
	b.waitEntered(t)
	stopping := make(chan struct{}) // the gateway stops: no plugin comes
	close(stopping)
	h.mu.Lock()
	h.stopping = stopping
	h.mu.Unlock()
	closeReleasing(t, h, b)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.retrying != nil {
		t.Fatal("Close returned while the resend still ran")
	}
}
