package pluginhost

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"

	"passerelle.im/passerelle/internal/syncbuf"
)

const echoPkg = "passerelle.im/passerelle/cmd/passerelle-echo"

func TestMain(m *testing.M) {
	if spec := os.Getenv(parentEnv); spec != "" {
		runParent(spec)
	}
	plugintest.Main(m)
}

type recorder struct {
	mu     sync.Mutex
	events []*pb.Event
	ready  atomic.Int32
}

func (r *recorder) onEvents(_ context.Context, evs []*pb.Event) <-chan error {
	r.mu.Lock()
	r.events = append(r.events, evs...)
	r.mu.Unlock()
	ch := make(chan error, 1)
	ch <- nil
	return ch
}

func (r *recorder) has(match func(*pb.Event) bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range r.events {
		if match(ev) {
			return true
		}
	}
	return false
}

func start(t *testing.T, path string, hold time.Duration) (*Host, *recorder, *syncbuf.Buffer) {
	t.Helper()
	rec := &recorder{}
	logs := &syncbuf.Buffer{}
	h := New(Config{Name: "echo", Path: path, DataDir: t.TempDir(), ConfigJSON: []byte("{}"), Domain: "echo.localhost",
		Log:         slog.New(slog.NewTextHandler(logs, nil)),
		OnEvents:    rec.onEvents,
		OnReady:     func(context.Context, *pb.Capabilities) { rec.ready.Add(1) },
		HoldTimeout: hold, HealthInterval: 200 * time.Millisecond})
	running(t, h)
	return h, rec, logs
}

// waitFor waits up to 30 s for cond (CI runs every package at once on
// 2 cores), or fails the test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHostRestartsAndReconnects: a plugin killed with SIGKILL is started
// again (OnReady runs again), of the next Generation; commands and
// events work before and after.
func TestHostRestartsAndReconnects(t *testing.T) {
	h, rec, _ := start(t, plugintest.BuildBinary(t, echoPkg), 0)
	ctx := ready(t, h)
	if h.Caps().GetNetwork() != "echo" {
		t.Fatalf("caps %v", h.Caps())
	}
	login := func() {
		c, err := h.Client()
		if err != nil {
			t.Fatal(err)
		}
		step, err := c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: "u@h"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: map[string]string{"username": "u"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Connect(ctx, &pb.ConnectRequest{LoginId: "u", UserJid: "u@h"}); err != nil {
			t.Fatal(err)
		}
	}
	send := func(txn, text string) *pb.CommandResult {
		r, err := h.Do(ctx, &pb.Command{LoginId: "u", ChatId: "bob", TxnId: txn, Action: &pb.Command_Send{Send: &pb.SendMessage{Text: text}}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	login()
	if r := send("t1", "one"); r.Error != nil || r.MessageId == "" {
		t.Fatalf("send: %v", r)
	}
	waitFor(t, "the echo event", func() bool { return rec.has(func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "one" }) })

	pid, gen := h.Pid(), h.Generation()
	if gen == 0 {
		t.Fatal("a running plugin of generation 0")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a new plugin process", func() bool { p := h.Pid(); return p != 0 && p != pid && rec.ready.Load() >= 2 })
	if g := h.Generation(); g != gen+1 {
		t.Errorf("generation %d after a restart of generation %d", g, gen)
	}
	login()
	if r := send("t2", "two"); r.Error != nil {
		t.Fatalf("send after restart: %v", r)
	}
	waitFor(t, "the echo after restart", func() bool { return rec.has(func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "two" }) })
}

// TestHostUnavailable: a binary that is not a plugin never runs; a command
// waits HoldTimeout, then fails as UNAVAILABLE, and the log says why.
func TestHostUnavailable(t *testing.T) {
	h, _, logs := start(t, "/bin/true", 300*time.Millisecond)
	r, err := h.Do(context.Background(), &pb.Command{LoginId: "u", ChatId: "c", Action: &pb.Command_Send{Send: &pb.SendMessage{Text: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Fatalf("result %v, want UNAVAILABLE", r)
	}
	if _, err := h.Client(); err == nil {
		t.Fatal("a client for a plugin that never ran")
	}
	waitFor(t, "the restart log line", func() bool {
		return strings.Contains(logs.String(), "transport plugin failed to start; trying again")
	})
}

// TestLogWriter: JSON lines keep level, message and attributes; other
// lines are logged as they are.
func TestLogWriter(t *testing.T) {
	var out bytes.Buffer
	w := &logWriter{log: slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	w.Write([]byte(`{"time":"x","level":"WARN","msg":"careful","login":"l1"}` + "\n" + `{"@level":"error","@message":"boom","@module":"go-plugin"}` + "\npanic: oh no\npart"))
	w.Write([]byte("ial line\n"))
	got := out.String()
	for _, want := range []string{`level=WARN msg=careful login=l1`, `level=ERROR msg=boom module=go-plugin`, `msg="panic: oh no"`, `msg="partial line"`} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
}
