package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestDoGivenUpNotSent: a command whose Do's ctx ended while it waited
// in the queue (behind one the plugin does not take) is not sent once
// the plugin reads again: its caller was told it failed, and may send it
// again. Before, it stayed queued and went to the plugin anyway.
func TestDoGivenUpNotSent(t *testing.T) {
	h := New(Config{Name: "echo", Log: slog.New(slog.DiscardHandler), CommandTimeout: time.Hour})
	s := newHeldStream()
	defer attach(h, s)()
	cmd := func(chat, text string) *pb.Command {
		return &pb.Command{LoginId: "u", ChatId: chat, TxnId: text, Action: &pb.Command_Send{Send: &pb.SendMessage{Text: text}}}
	}
	h.Send(cmd("a", "held"), func(*pb.CommandResult) {})
	<-s.entered // the writer waits in its Send
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := h.Do(ctx, cmd("b", "given up"))
		done <- err
	}()
	waitFor(t, "the command queued", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.pending) == 2
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Do after its ctx ended: %v, want context.Canceled", err)
	}
	h.Send(cmd("b", "after"), func(*pb.CommandResult) {})
	close(s.release) // the plugin reads again
	waitFor(t, "the command after it sent", func() bool { return s.has("after") })
	if s.has("given up") {
		t.Error("a command whose Do gave up before it was sent was sent to the plugin afterwards")
	}
}

// TestDoGivesUpWhileHeld: Do for a plugin not ready (restarting) returns
// at its ctx's end, not at the end of HoldTimeout, and the command is not
// sent when the plugin is back. Before, Do waited in Send for the whole
// hold.
func TestDoGivesUpWhileHeld(t *testing.T) {
	h := New(Config{Name: "echo", Log: slog.New(slog.DiscardHandler), HoldTimeout: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	held := make(chan time.Time, 1)
	h.holdWait = func(until time.Time) { held <- until }
	done := make(chan error, 1)
	go func() {
		_, err := h.Do(ctx, &pb.Command{LoginId: "u", ChatId: "a", TxnId: "t", Action: &pb.Command_Send{Send: &pb.SendMessage{Text: "held"}}})
		done <- err
	}()
	<-held // it waits for the plugin
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Do after its ctx ended: %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Do still waits for the plugin 30 s after its ctx ended")
	}
	s := newHeldStream()
	close(s.release)
	defer attach(h, s)()
	h.Send(&pb.Command{LoginId: "u", ChatId: "a", TxnId: "after", Action: &pb.Command_Send{Send: &pb.SendMessage{Text: "after"}}}, func(*pb.CommandResult) {})
	waitFor(t, "the command after it sent", func() bool { return s.has("after") })
	if s.has("held") {
		t.Error("a command whose Do gave up while the plugin was down was sent once it was back")
	}
}

// TestDoGivenUpNotResentAfterCrash: a command the plugin took but did
// not answer, whose Do's caller then gave up (told it failed), is not
// sent again to the plugin restarted after a crash: the caller may send
// it anew, and the network would have it twice. Before, down sent every
// command in flight again, given up on or not.
func TestDoGivenUpNotResentAfterCrash(t *testing.T) {
	got := filepath.Join(t.TempDir(), "commands")
	path, _ := script(t, "NOACKS_EVENTS=0 NOACKS_COMMANDS="+got+" exec "+plugintest.BuildBinary(t, "./testdata/noacks"))
	h := New(Config{Name: "noacks", Path: path, DataDir: t.TempDir(), ConfigJSON: []byte("{}"),
		Domain: "noacks.localhost", Log: slog.New(slog.DiscardHandler), OnEvents: (&recorder{}).onEvents,
		HealthInterval: 200 * time.Millisecond, HoldTimeout: time.Minute, CommandTimeout: time.Hour})
	runningReady(t, h)
	received := func() []string {
		b, _ := os.ReadFile(got)
		return strings.Fields(string(b))
	}
	send := func(txn string) *pb.Command {
		return &pb.Command{LoginId: "u", ChatId: "bob", TxnId: txn, Action: &pb.Command_Send{Send: &pb.SendMessage{Text: txn}}}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := h.Do(ctx, send("given-up"))
		done <- err
	}()
	waitFor(t, "the plugin to take the command", func() bool { return slices.Contains(received(), "given-up") })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Do after its ctx ended: %v, want context.Canceled", err)
	}

	pid := h.Pid()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a new plugin process", func() bool { p := h.Pid(); return p != 0 && p != pid })
	// A command after the crash goes after those sent again (retrying):
	// once the plugin has it, any resend came before.
	h.Send(send("after"), func(*pb.CommandResult) {})
	waitFor(t, "the command after the crash", func() bool { return slices.Contains(received(), "after") })
	if want := []string{"given-up", "after"}; !slices.Equal(received(), want) {
		t.Errorf("the plugins took %q, want %q: a command given up on was sent again after the crash", received(), want)
	}
}

// gatedCtx is a context whose Done waits for gate: Do's wait for its
// result then begins with the result and the context's end both there.
type gatedCtx struct {
	context.Context
	gate chan struct{}
}

func (c gatedCtx) Done() <-chan struct{} {
	<-c.gate
	return c.Context.Done()
}

// TestDoPrefersArrivedResult: a command whose result came as its Do's
// caller gave up (both there when Do looks) is reported with its result,
// not ctx.Err(): the network did it, and a caller told it failed would
// send it again. Before, Do picked one of the two at random.
func TestDoPrefersArrivedResult(t *testing.T) {
	h := New(Config{Name: "echo", Log: slog.New(slog.DiscardHandler), CommandTimeout: time.Hour})
	s := newHeldStream()
	close(s.release)
	defer attach(h, s)()
	for i := range 32 {
		text := fmt.Sprintf("m%d", i)
		base, cancel := context.WithCancel(context.Background())
		ctx := gatedCtx{Context: base, gate: make(chan struct{})}
		type outcome struct {
			r   *pb.CommandResult
			err error
		}
		done := make(chan outcome, 1)
		go func() {
			r, err := h.Do(ctx, &pb.Command{LoginId: "u", ChatId: "a", TxnId: text, Action: &pb.Command_Send{Send: &pb.SendMessage{Text: text}}})
			done <- outcome{r, err}
		}()
		waitFor(t, "the command sent", func() bool { return s.has(text) })
		// The result comes, as readResults hands it over.
		h.mu.Lock()
		var f *inflight
		var id uint64
		for k, p := range h.pending {
			f, id = p, k
		}
		delete(h.pending, id)
		h.unqueueLocked(id, f)
		f.stopTimer()
		h.mu.Unlock()
		f.cb(&pb.CommandResult{CorrelationId: id, MessageId: text})
		cancel() // and the caller gives up
		close(ctx.gate)
		got := <-done
		if got.err != nil || got.r.GetMessageId() != text {
			t.Fatalf("Do %d with its result there as its ctx ended: %v %v, want the result", i, got.r, got.err)
		}
	}
}
