package pluginhost

import (
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestStopWhilePluginHangsMidStream: a stop of the gateway while the
// real plugin's Events stream never ends (it sends on and on, or hangs,
// SIGSTOP, with the stream open) and a command it took goes unanswered
// ends all the same: Run returns once the drain gives up on the
// command, its waits (the drain, the event pump's reader and acker, the
// command writer) ending with the run's streams, not the plugin's; and
// Close returns with the command's caller told once that it failed.
func TestStopWhilePluginHangsMidStream(t *testing.T) {
	bin := plugintest.BuildBinary(t, "./testdata/noacks")
	for _, c := range []struct {
		name   string
		frozen bool
	}{{"streaming", false}, {"frozen", true}} {
		t.Run(c.name, func(t *testing.T) {
			got := filepath.Join(t.TempDir(), "commands")
			// Events past any test's length, acks never read; commands
			// read (noted in got) and never answered.
			path, _ := script(t, "NOACKS_EVENTS=2000000000 NOACKS_COMMANDS="+got+" exec "+bin)
			rec := &recorder{}
			h := New(Config{Name: "noacks", Path: path, DataDir: t.TempDir(), ConfigJSON: []byte("{}"),
				Domain: "noacks.localhost", Log: slog.New(slog.DiscardHandler), OnEvents: rec.onEvents,
				HealthInterval: time.Hour, CommandTimeout: time.Hour})
			stop := running(t, h)
			ready(t, h)
			waitFor(t, "events stored", func() bool {
				rec.mu.Lock()
				defer rec.mu.Unlock()
				return len(rec.events) >= 100
			})
			var told atomic.Int32
			var result atomic.Pointer[pb.CommandResult]
			h.Send(&pb.Command{LoginId: "u", ChatId: "bob", Action: &pb.Command_Send{Send: &pb.SendMessage{Text: "m"}}},
				func(r *pb.CommandResult) {
					told.Add(1)
					result.Store(r)
				})
			waitFor(t, "the plugin to take the command", func() bool {
				b, _ := os.ReadFile(got)
				return len(b) > 0
			})
			if c.frozen {
				pid := h.Pid()
				if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
			}
			within(t, "stopping the host", 60*time.Second, stop)
			within(t, "closing the host", 60*time.Second, h.Close)
			if n := told.Load(); n != 1 {
				t.Fatalf("the unanswered command's caller was told %d times by Close's return, want once", n)
			}
			if r := result.Load(); r.GetError().GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
				t.Errorf("the unanswered command's result: %v, want UNAVAILABLE", r)
			}
		})
	}
}
