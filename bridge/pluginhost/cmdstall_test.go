package pluginhost

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestPluginNeverReadsCommands: a plugin that never reads its Commands
// stream (its flow-control window fills) has the commands past a bounded
// queue refused at once, saying the plugin is not taking commands, and
// those queued fail as unanswered: each of many users hears, and the
// goroutines do not grow with them. The log names the plugin, once.
// Before, each command waited behind the stream's send lock for ever: its
// user heard of the command timeout, but the sender's goroutine stayed,
// one per command.
func TestPluginNeverReadsCommands(t *testing.T) {
	const users, queue = 200, 8
	logs := &syncbuf.Buffer{}
	// The plugin's environment holds only a few of the gateway's
	// variables (pluginEnv): NOACKS_EVENTS is set in its script, so that
	// it sends no events and only its Commands stream is at stake.
	path, _ := script(t, "NOACKS_EVENTS=0 exec "+plugintest.BuildBinary(t, "./testdata/noacks"))
	rec := &recorder{}
	h := New(Config{Name: "noacks", Path: path, DataDir: t.TempDir(), ConfigJSON: []byte("{}"), Domain: "noacks.localhost",
		Log: slog.New(slog.NewTextHandler(logs, nil)), OnEvents: rec.onEvents,
		HealthInterval: time.Second, CommandTimeout: time.Second, CommandQueue: queue})
	runningReady(t, h)
	defer func() {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if n := len(rec.events); n > 0 {
			t.Errorf("the plugin sent %d events: NOACKS_EVENTS=0 did not reach it, its event flood was part of the test", n)
		}
	}()
	base := runtime.NumGoroutine()

	big := strings.Repeat("x", 64<<10) // a few fill the stream's window
	results := make(chan *pb.CommandResult, users)
	for i := range users {
		go func() {
			r, err := h.Do(context.Background(), &pb.Command{LoginId: fmt.Sprintf("u%d", i), ChatId: "bob", TxnId: fmt.Sprintf("t%d", i),
				Action: &pb.Command_Send{Send: &pb.SendMessage{Text: big}}})
			if err != nil {
				r = &pb.CommandResult{Error: &pb.Error{Text: err.Error()}}
			}
			results <- r
		}()
	}
	deadline := time.After(60 * time.Second)
	refused, unanswered := 0, 0
	for got := 0; got < users; got++ {
		select {
		case r := <-results:
			switch txt := r.GetError().GetText(); {
			case r.GetError().GetCode() == pb.ErrorCode_ERROR_CODE_UNAVAILABLE && strings.Contains(txt, "the noacks plugin is not taking commands"):
				refused++
			case r.GetError().GetCode() == pb.ErrorCode_ERROR_CODE_UNAVAILABLE && strings.Contains(txt, "did not answer"):
				unanswered++
			default:
				t.Errorf("result %v, want UNAVAILABLE: not taking commands, or did not answer", r)
			}
		case <-deadline:
			t.Fatalf("%d of %d users heard nothing: their commands wait behind a plugin that does not read its stream (%d goroutines, %d before)\n%s",
				users-got, users, runtime.NumGoroutine(), base, logs)
		}
	}
	if refused == 0 || unanswered > users/2 {
		t.Errorf("%d refused, %d unanswered of %d: want most refused at once past the queue of %d", refused, unanswered, users, queue)
	}
	// The users' goroutines are done; the host keeps none per command.
	for n := runtime.NumGoroutine(); n > base+queue; n = runtime.NumGoroutine() {
		select {
		case <-deadline:
			t.Fatalf("%d goroutines, %d before %d commands: one left per command", n, base, users)
		case <-time.After(20 * time.Millisecond):
		}
	}
	l := logs.String()
	if c := strings.Count(l, "is not taking commands"); c != 1 || !strings.Contains(l, "plugin="+path) {
		t.Errorf("the warning is logged %d times, want once, naming the plugin %s:\n%s", c, path, l)
	}
}
