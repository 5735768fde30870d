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
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

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
