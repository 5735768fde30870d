package pluginhost

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/plugins/plugintest"
)

// TestInitRefusalLoggedPlainly: a plugin that refuses its config in Init
// is logged with its own words, not behind its error code, and started
// again only at the longest backoff: the same config fails the same way.
// It was restarted from 200 ms up, five log lines in the first three
// seconds, each "plugin Init: ERROR_CODE_UNSPECIFIED: ...".
func TestInitRefusalLoggedPlainly(t *testing.T) {
	logs := &syncbuf.Buffer{}
	var stops []error
	stopped := make(chan error, 16)
	h := New(Config{Name: "echo", Path: plugintest.BuildBinary(t, echoPkg), DataDir: t.TempDir(),
		ConfigJSON: []byte(`{"contactz": 3}`), Domain: "echo.localhost",
		Log:    slog.New(slog.NewTextHandler(logs, nil)),
		OnStop: func(err error) { stopped <- err }})
	running(t, h)

	select {
	case err := <-stopped:
		stops = append(stops, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the plugin's refusal never came")
	}
	var ie *InitError
	if !errors.As(stops[0], &ie) {
		t.Fatalf("stop error %v (%T), want an InitError", stops[0], stops[0])
	}
	if msg := stops[0].Error(); !strings.Contains(msg, `unknown key "contactz"`) || strings.Contains(msg, "ERROR_CODE") {
		t.Errorf("the refusal reads %q: want the plugin's own words, without its code", msg)
	}
	// Well past the first backoffs (200, 400, 800 ms, 1.6 s).
	select {
	case err := <-stopped:
		t.Errorf("started again within 4 s of a refused config: %v", err)
	case <-time.After(4 * time.Second):
	}
	if !strings.Contains(logs.String(), "retry_in=30s") {
		t.Errorf("the log does not say the next try is at the longest backoff:\n%s", logs.String())
	}
}

// TestInitFolderInUseRetried: a plugin whose data folder the process
// before still holds (a gateway killed, its plugin not yet gone) is
// started again at the usual pace, and runs once the folder is free.
// Taken for a refused config, it waited 30 s, and a restarted gateway's
// users waited with it.
func TestInitFolderInUseRetried(t *testing.T) {
	dir := t.TempDir()
	first := New(Config{Name: "echo", Path: plugintest.BuildBinary(t, echoPkg), DataDir: dir, ConfigJSON: []byte("{}"),
		Domain: "echo.localhost", Log: slog.New(slog.DiscardHandler)})
	_, stop1 := runningReady(t, first)

	stopped := make(chan error, 16)
	second := New(Config{Name: "echo", Path: plugintest.BuildBinary(t, echoPkg), DataDir: dir, ConfigJSON: []byte("{}"),
		Domain: "echo.localhost", Log: slog.New(slog.DiscardHandler), OnStop: func(err error) { stopped <- err }})
	running(t, second)
	select {
	case err := <-stopped:
		var ie *InitError
		if errors.As(err, &ie) {
			t.Fatalf("the folder in use taken for a refused config: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the second plugin started while the first held the folder")
	}
	stop1()
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer rcancel()
	if err := second.WaitReady(rctx); err != nil {
		t.Fatalf("the folder free, the plugin did not start within 10 s: %v", err)
	}
}
