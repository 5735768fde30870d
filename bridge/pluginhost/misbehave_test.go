package pluginhost

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// rawPkg is the conformance kit's plugin written without the SDK, which
// breaks the contract on demand.
const rawPkg = "../../plugins/plugintest/testdata/rawsend"

// startRaw runs rawsend under a host whose commands expire after
// cmdTimeout, with login "u" connected.
func startRaw(t *testing.T, cmdTimeout time.Duration) (*Host, *recorder, *syncbuf.Buffer) {
	t.Helper()
	rec := &recorder{}
	logs := &syncbuf.Buffer{}
	h := New(Config{Name: "raw", Path: plugintest.BuildBinary(t, rawPkg), DataDir: t.TempDir(), ConfigJSON: []byte("{}"), Domain: "raw.localhost",
		Log:            slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnEvents:       rec.onEvents,
		CommandTimeout: cmdTimeout, HealthInterval: 200 * time.Millisecond})
	wctx, _ := runningReady(t, h)
	c, err := h.Client()
	if err != nil {
		t.Fatal(err)
	}
	step, err := c.StartLogin(wctx, &pb.StartLoginRequest{UserJid: "u@h"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubmitLoginInput(wctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: map[string]string{"username": "u"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Connect(wctx, &pb.ConnectRequest{LoginId: "u", UserJid: "u@h"}); err != nil {
		t.Fatal(err)
	}
	return h, rec, logs
}

func rawSend(txn, text string) *pb.Command {
	return &pb.Command{LoginId: "u", ChatId: "bob", TxnId: txn, Action: &pb.Command_Send{Send: &pb.SendMessage{Text: text}}}
}

// TestCommandNeverAnswered: a plugin that never answers a command (it
// lost it, its handler hangs) gets it failed as UNAVAILABLE after the
// host's CommandTimeout, logged with what the command was; the
// plugin's next commands go on. Before, the host waited for ever: the
// user who sent the message heard nothing.
func TestCommandNeverAnswered(t *testing.T) {
	h, _, logs := startRaw(t, 500*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := h.Do(ctx, rawSend("t1", "noanswer, ever"))
	if err != nil {
		t.Fatalf("no result for a command the plugin never answers: %v", err)
	}
	if r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(r.Error.GetText(), "did not answer") {
		t.Fatalf("result %v, want UNAVAILABLE saying the plugin did not answer", r)
	}
	if !strings.Contains(logs.String(), "did not answer a command in time") || !strings.Contains(logs.String(), "action=send") {
		t.Errorf("the log does not tell the command that went unanswered:\n%s", logs)
	}
	if r, err := h.Do(ctx, rawSend("t2", "hello")); err != nil || r.Error != nil || r.MessageId == "" {
		t.Fatalf("a command after the unanswered one: %v, %v", r, err)
	}
}

// TestCommandAnsweredTwice: a plugin that answers a command twice has
// its second answer dropped and logged; the command's caller hears once,
// and the next command is answered as usual.
func TestCommandAnsweredTwice(t *testing.T) {
	h, _, logs := startRaw(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var calls atomic.Int32
	first := make(chan *pb.CommandResult, 2)
	h.Send(rawSend("t1", "twice over"), func(r *pb.CommandResult) { calls.Add(1); first <- r })
	select {
	case r := <-first:
		if r.Error != nil || r.MessageId == "" {
			t.Fatalf("result %v", r)
		}
	case <-ctx.Done():
		t.Fatal("no result")
	}
	// The next command's answer comes after the duplicate on the stream.
	if r, err := h.Do(ctx, rawSend("t2", "hello")); err != nil || r.Error != nil {
		t.Fatalf("a command after the doubly answered one: %v, %v", r, err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the command's callback ran %d times, want once", n)
	}
	if h.StrayResults() != 1 || !strings.Contains(logs.String(), "answered a command that is not in flight") {
		t.Errorf("stray results %d; the log does not tell the duplicate answer:\n%s", h.StrayResults(), logs)
	}
}

// runRawMode runs rawsend in mode (RAWSEND, set by a wrapper script: the
// host passes the plugin none of its own environment) under a host until
// its log holds want, and returns the log.
func runRawMode(t *testing.T, mode, want string) string {
	t.Helper()
	path, _ := script(t, "RAWSEND="+mode+" exec "+plugintest.BuildBinary(t, rawPkg))
	logs := &syncbuf.Buffer{}
	h := New(Config{Name: "raw", Path: path, DataDir: t.TempDir(), ConfigJSON: []byte("{}"), Domain: "raw.localhost",
		Log: slog.New(slog.NewTextHandler(logs, nil)), OnEvents: (&recorder{}).onEvents})
	running(t, h)
	waitFor(t, "the failed start's log line", func() bool { return strings.Contains(logs.String(), "transport plugin failed to start; trying again") })
	if !strings.Contains(logs.String(), want) {
		t.Errorf("the log does not say %q:\n%s", want, logs)
	}
	return logs.String()
}

// TestInitExitSaysSo: a plugin that exits (with status 0) during Init,
// without answering, is logged as such, with its exit status. Before,
// the log said only "plugin Init: ERROR_CODE_UNAVAILABLE: error reading
// from server: EOF", which does not tell an admin that the plugin quit.
func TestInitExitSaysSo(t *testing.T) {
	runRawMode(t, "initexit", "the plugin exited during Init, without answering it (exit status 0)")
}

// TestInitHangSaysSo: a plugin whose Init never returns is given up on
// after initTimeout, and the log says it did not answer Init in time
// (before: "context deadline exceeded").
func TestInitHangSaysSo(t *testing.T) {
	defer func(d time.Duration) { initTimeout = d }(initTimeout)
	initTimeout = time.Second
	runRawMode(t, "inithang", "the plugin did not answer Init within 1s")
}

// TestStdoutJunkAfterHandshake: a plugin that writes to its stdout after
// the handshake (a line of 100 KiB, then many short ones) runs, and the
// log says once that its stdout is dropped. Before, go-plugin's reader of
// stdout stopped at the long line ("bufio.Scanner: token too long"), the
// pipe filled, and the plugin's next write blocked: its Init never
// returned, and every start of it hung the same way.
func TestStdoutJunkAfterHandshake(t *testing.T) {
	path, _ := script(t, "RAWSEND=stdoutjunk exec "+plugintest.BuildBinary(t, rawPkg))
	logs := &syncbuf.Buffer{}
	h := New(Config{Name: "raw", Path: path, DataDir: t.TempDir(), ConfigJSON: []byte("{}"), Domain: "raw.localhost",
		Log: slog.New(slog.NewTextHandler(logs, nil)), OnEvents: (&recorder{}).onEvents})
	runningReady(t, h)
	if n := strings.Count(logs.String(), "the plugin wrote to its stdout after the handshake"); n != 1 {
		t.Errorf("the stdout warning logged %d times, want once:\n%s", n, logs)
	}
}

// TestMediaEmptyChunks: a download whose plugin sends chunks without data
// in a loop fails, saying so, instead of spinning until the caller's time
// limit (a file's is 10 minutes, its chat waiting behind it); one that
// sends more than it announced fails as broken, as before.
func TestMediaEmptyChunks(t *testing.T) {
	h, _, _ := startRaw(t, 0)
	c, err := h.Client()
	if err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]string{"zeros": "chunks in a row without data", "more": "more than the file's size"} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		r, err := OpenMedia(ctx, c, &pb.MediaRef{LoginId: "u", ChatId: "bob", Ref: ref}, 0)
		if err == nil {
			_, err = io.ReadAll(r)
			r.Close()
		}
		cancel()
		var be *BrokenError
		if !errors.As(err, &be) || !strings.Contains(err.Error(), want) {
			t.Errorf("download %q: %v, want a broken transfer saying %q", ref, err, want)
		}
	}
}

// TestCommandQueuedBehindSlowOneNotCut: a plugin runs a chat's commands
// one at a time (the SDK does), so a command's wait for its result
// counts from when it comes first of its chat's commands in flight, not
// from its send. Two commands of a chat, each answered within the host's
// CommandTimeout, both succeed. Before, the second, answered past the
// limit counted from its send, failed UNAVAILABLE although the plugin
// then sent it: a text sent behind a large file (a minute past
// DefaultCommandTimeout, yet within DefaultFileCommandTimeout) was told
// failed and went unmapped.
func TestCommandQueuedBehindSlowOneNotCut(t *testing.T) {
	h, _, _ := startRaw(t, 3*time.Second) // rawsend answers "slow" in 2 s
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	results := make(chan *pb.CommandResult, 2)
	h.Send(rawSend("t1", "slow one"), func(r *pb.CommandResult) { results <- r })
	h.Send(rawSend("t2", "slow two"), func(r *pb.CommandResult) { results <- r })
	for range 2 {
		select {
		case r := <-results:
			if r.Error != nil || r.MessageId == "" {
				t.Errorf("a command answered within its limit, once it ran, failed: %v", r)
			}
		case <-ctx.Done():
			t.Fatal("no result")
		}
	}
}
