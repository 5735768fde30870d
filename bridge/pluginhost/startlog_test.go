package pluginhost

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/plugins/plugintest"
)

// TestFailedStartLogsOneLine: each failed start of a plugin (no such
// file, a program that is no plugin) logs one line that names the plugin
// and the cause, and nothing of go-plugin's cleanup: the first at error,
// the same again at debug. Before, go-plugin added "plugin failed to
// exit gracefully" and "plugin process exited error=context canceled"
// to each, and the host's own line said the plugin "stopped"; and each
// was an ERROR (TestFailedStartsToldOnce).
func TestFailedStartLogsOneLine(t *testing.T) {
	for _, tc := range []struct{ path, cause string }{
		{filepath.Join(t.TempDir(), "missing"), "no such file or directory"},
		{"/bin/true", "is it a passerelle plugin?"},
	} {
		logs := &syncbuf.Buffer{}
		h := New(Config{Name: "x", Path: tc.path, DataDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		stop := running(t, h)
		deadline := time.Now().Add(30 * time.Second)
		for strings.Count(logs.String(), "failed to start") < 3 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no three failed starts logged:\n%s", tc.path, logs)
			}
			time.Sleep(10 * time.Millisecond)
		}
		stop()
		for i, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			level := "DEBUG"
			if i == 0 {
				level = "ERROR"
			}
			if !strings.Contains(line, "level="+level+" msg=\"transport plugin failed to start; trying again\"") ||
				!strings.Contains(line, "plugin="+tc.path) || !strings.Contains(line, tc.cause) || !strings.Contains(line, "retry_in=") {
				t.Errorf("%s: line %q, want only the failed start's, naming the plugin and %q", tc.path, line, tc.cause)
			}
		}
	}
}

// TestFailedStartsToldOnce: a plugin that keeps failing to start is
// told at error once per cause, the same failure again at debug; once
// it starts, one line says so with the count. Before, every failed
// start was an ERROR (every 30 s for as long as the binary was
// missing) and its start went untold.
func TestFailedStartsToldOnce(t *testing.T) {
	echo := plugintest.BuildBinary(t, echoPkg)
	dir := t.TempDir()
	path := filepath.Join(dir, "plugin")
	logs := &syncbuf.Buffer{}
	h := New(Config{Name: "echo", Path: path, DataDir: t.TempDir(), ConfigJSON: []byte("{}"), Domain: "echo.localhost",
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	running(t, h)
	fails := func() int { return strings.Count(logs.String(), "msg=\"transport plugin failed to start") }
	waitFails := func(n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for fails() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d failed starts, want %d:\n%s", fails(), n, logs)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	errors := func() int { return strings.Count(logs.String(), "level=ERROR msg=\"transport plugin failed to start") }

	waitFails(3)
	if n := errors(); n != 1 {
		t.Fatalf("%d ERROR lines for 3 failed starts of one cause, want 1:\n%s", n, logs)
	}
	// Another cause: a program that is no plugin.
	if err := os.WriteFile(path+".tmp", []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
	waitFails(fails() + 3)
	if n := errors(); n != 2 {
		t.Fatalf("%d ERROR lines after a change of cause, want 2:\n%s", n, logs)
	}
	data, err := os.ReadFile(echo)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".tmp", data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
	rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer rcancel()
	if err := h.WaitReady(rctx); err != nil {
		t.Fatalf("the plugin never started:\n%s", logs)
	}
	if n := strings.Count(logs.String(), "msg=\"transport plugin started after failed starts\""); n != 1 {
		t.Fatalf("%d lines for the start after failures, want 1:\n%s", n, logs)
	}
}

// TestInitFailuresToldAsFailedStarts: a plugin that launches but fails
// its Init (it exits during it), again and again, is a plugin failing to
// start: the first at error, the same again at debug, and once it
// starts, one line says so after them. Before, each launch said
// "transport plugin started after failed starts" before its Init
// failed, and each Init failure was an ERROR ("transport plugin stopped;
// restarting"): an operator read that it started, then that it crashed,
// over and over.
func TestInitFailuresToldAsFailedStarts(t *testing.T) {
	raw, echo := plugintest.BuildBinary(t, rawPkg), plugintest.BuildBinary(t, echoPkg)
	path, dir := script(t, "[ -e $DIR/ok ] && exec "+echo+"\nRAWSEND=initexit exec "+raw)
	logs := &syncbuf.Buffer{}
	h := New(Config{Name: "raw", Path: path, DataDir: t.TempDir(), ConfigJSON: []byte("{}"), Domain: "raw.localhost",
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), OnEvents: (&recorder{}).onEvents})
	running(t, h)
	const failed = `msg="transport plugin failed to start; trying again"`
	waitFor(t, "three failed starts", func() bool { return strings.Count(logs.String(), failed) >= 3 })
	if err := os.WriteFile(filepath.Join(dir, "ok"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ready(t, h)
	out := logs.String()
	if n := strings.Count(out, "level=ERROR"); n != 1 {
		t.Errorf("%d ERROR lines for Init failing one way, want 1 (the first):\n%s", n, out)
	}
	if !strings.Contains(out, "level=ERROR "+failed) || !strings.Contains(out, "exited during Init") {
		t.Errorf("the first Init failure is not told at error as a failed start, with its cause:\n%s", out)
	}
	if strings.Contains(out, "stopped; restarting") {
		t.Errorf("an Init failure told as a plugin that ran and stopped:\n%s", out)
	}
	const started = `msg="transport plugin started after failed starts"`
	if n := strings.Count(out, started); n != 1 || strings.LastIndex(out, failed) > strings.Index(out, started) {
		t.Errorf("%d lines say it started after failed starts, want 1 after the last failed start:\n%s", n, out)
	}
}
