package pluginhost

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// pythonEcho is the Python example plugin's main file, an executable
// script (it names /usr/bin/python3), as an admin would configure it.
func pythonEcho(t *testing.T) string {
	t.Helper()
	path, err := filepath.Abs("../../examples/python-echo/passerelle_echo.py")
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// The host runs the Python example plugin (examples/python-echo)
// as it runs a Go one: started by its path with the gateway's reduced
// environment, kept by health pings, its log folded into the gateway's,
// commands and events on their streams, history on its own, and stopped
// through go-plugin's controller without waiting for the kill.
func TestUnderGatewayHost(t *testing.T) {
	plugintest.Need(t, "Python's gRPC (Debian: python3-grpcio python3-protobuf; scripts/install-deps.sh installs them)",
		"/usr/bin/python3", "-c", "import grpc, google.protobuf")
	rec := &recorder{}
	var mu sync.Mutex
	var batches []*pb.HistoryBatch
	logs := &syncbuf.Buffer{}
	h := New(Config{Name: "pyecho", Path: pythonEcho(t), DataDir: t.TempDir(),
		ConfigJSON: []byte(`{"contact_name": "Echo Echo"}`), Domain: "pyecho.localhost",
		Log:      slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnEvents: rec.onEvents,
		OnHistory: func(_ context.Context, b *pb.HistoryBatch) error {
			mu.Lock()
			batches = append(batches, b)
			mu.Unlock()
			return nil
		},
		HealthInterval: time.Second})
	wait, stop := runningReady(t, h)
	pid := h.Pid()
	c, err := h.Client()
	if err != nil {
		t.Fatal(err)
	}
	step, err := c.StartLogin(wait, &pb.StartLoginRequest{UserJid: "u@localhost", FlowId: "pairing"})
	if err != nil {
		t.Fatal(err)
	}
	step, err = c.SubmitLoginInput(wait, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: map[string]string{"username": "u"}})
	if err != nil || step.GetDisplay().GetType() != pb.DisplayType_DISPLAY_TYPE_CODE {
		t.Fatalf("pairing flow: want a code to show, got %v, %v", step, err)
	}
	step, err = c.WaitLogin(wait, &pb.LoginProcessRef{ProcessId: step.ProcessId})
	if err != nil || step.GetComplete().GetLoginId() != "u" {
		t.Fatalf("WaitLogin: want login u complete, got %v, %v", step, err)
	}
	if _, err := c.Connect(wait, &pb.ConnectRequest{LoginId: "u", UserJid: "u@localhost", SavedState: step.GetComplete().SavedState}); err != nil {
		t.Fatal(err)
	}
	res, err := h.Do(wait, &pb.Command{LoginId: "u", ChatId: "echo", TxnId: "t1",
		Action: &pb.Command_Send{Send: &pb.SendMessage{Text: "hello"}}})
	if err != nil || res.Error != nil || res.MessageId == "" {
		t.Fatalf("send: %v, %v", res, err)
	}
	waitFor(t, "the echo", func() bool {
		return rec.has(func(ev *pb.Event) bool {
			return ev.GetMessage().GetText() == "hello" && ev.GetSender().GetName() == "Echo Echo"
		})
	})
	if _, err := c.Backfill(wait, &pb.BackfillRequest{LoginId: "u", ChatId: "echo"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the history batch", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(batches) == 1 && len(batches[0].Events) == 3 && batches[0].Done
	})
	for i, ev := range batches[0].Events {
		if !ev.IsBackfill || ev.EventId == "" || ev.GetMessage().GetText() == "" ||
			(i > 0 && ev.TimestampUnixMicro <= batches[0].Events[i-1].TimestampUnixMicro) {
			t.Errorf("history event %d: %v; want backfill messages with IDs, oldest first", i, ev)
		}
	}

	// Health pings every second keep the same process. (At 100 ms a
	// loaded machine missed one now and then: a restart, a flaky test.)
	time.Sleep(3 * time.Second)
	if h.Pid() != pid {
		t.Fatalf("the plugin was restarted (pid %d, then %d):\n%s", pid, h.Pid(), logs)
	}
	if !strings.Contains(logs.String(), `"msg":"started"`) {
		t.Errorf("the plugin's log line is not in the gateway's log:\n%s", logs)
	}

	// go-plugin asks the plugin to exit, and kills it if it has not after
	// 2 s, saying so in the log.
	stop()
	if strings.Contains(logs.String(), "failed to exit gracefully") {
		t.Errorf("the plugin did not exit when asked (go-plugin's controller Shutdown):\n%s", logs)
	}
	// Nor does go-plugin or the host complain of anything else.
	if strings.Contains(logs.String(), `"level":"ERROR"`) || strings.Contains(logs.String(), `"level":"WARN"`) {
		t.Errorf("errors or warnings in the gateway's log:\n%s", logs)
	}
}
