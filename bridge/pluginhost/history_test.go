package pluginhost

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestHostHistory: the History stream is opened with the plugin; while
// the host is storing a batch, live events still flow; a batch whose
// store failed is not acknowledged and comes again on a new stream, and
// each batch is acknowledged once stored, so the whole history arrives.
func TestHostHistory(t *testing.T) {
	rec := &recorder{}
	logs := &syncbuf.Buffer{}
	var starts atomic.Int32
	release := make(chan struct{})
	var mu sync.Mutex
	var calls []uint64    // seq of every OnHistory call
	var stored [][]string // texts of the stored batches
	h := New(Config{Name: "echo", Path: plugintest.BuildBinary(t, echoPkg), DataDir: t.TempDir(), ConfigJSON: []byte("{}"),
		Domain: "echo.localhost", Log: slog.New(slog.NewTextHandler(logs, nil)), OnEvents: rec.onEvents,
		OnStart: func() { starts.Add(1) },
		OnHistory: func(ctx context.Context, b *pb.HistoryBatch) error {
			mu.Lock()
			first := len(calls) == 0
			calls = append(calls, b.Seq)
			mu.Unlock()
			if first {
				select { // the store is slow, then fails
				case <-release:
				case <-ctx.Done():
				}
				return errors.New("disk full")
			}
			var texts []string
			for _, ev := range b.Events {
				texts = append(texts, ev.GetMessage().GetText())
			}
			mu.Lock()
			stored = append(stored, texts)
			mu.Unlock()
			return nil
		},
		HealthInterval: 200 * time.Millisecond})
	wctx, _ := runningReady(t, h)
	c, _ := h.Client()
	step, err := c.StartLogin(wctx, &pb.StartLoginRequest{UserJid: "u@h"})
	if err != nil {
		t.Fatal(err)
	}
	step, err = c.SubmitLoginInput(wctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: map[string]string{"username": "u+history250"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Connect(wctx, &pb.ConnectRequest{LoginId: "u+history250", UserJid: "u@h", SavedState: step.GetComplete().GetSavedState()}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Backfill(wctx, &pb.BackfillRequest{LoginId: "u+history250", ChatId: "bob", Limit: 250}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first batch", func() bool { mu.Lock(); defer mu.Unlock(); return len(calls) == 1 })

	// The host is stuck storing history: live messages go on.
	r, err := h.Do(wctx, &pb.Command{LoginId: "u+history250", ChatId: "bob", TxnId: "t1", Action: &pb.Command_Send{Send: &pb.SendMessage{Text: "live"}}})
	if err != nil || r.Error != nil {
		t.Fatalf("send: %v %v", r, err)
	}
	waitFor(t, "the live echo", func() bool { return rec.has(func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "live" }) })

	close(release)
	waitFor(t, "the whole history", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, b := range stored {
			n += len(b)
		}
		return n >= 250
	})
	mu.Lock()
	defer mu.Unlock()
	if len(calls) < 2 || calls[1] != calls[0] {
		t.Errorf("OnHistory seqs %v: want the batch whose store failed sent again first", calls)
	}
	seen := map[string]int{}
	for _, b := range stored {
		for _, text := range b {
			seen[text]++
		}
	}
	if len(seen) != 250 {
		t.Errorf("%d distinct history messages stored, want 250", len(seen))
	}
	for text, n := range seen {
		if n != 1 {
			t.Errorf("%q stored %d times", text, n)
		}
	}
	if n := starts.Load(); n != 1 {
		t.Errorf("OnStart ran %d times for one process", n)
	}
}
