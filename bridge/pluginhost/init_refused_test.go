package pluginhost

import (
	"context"
	"errors"
	"log/slog"
	"slices"
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

// TestInitRefusalBacksOff: a plugin that keeps refusing its config is
// started again after 30 s, then twice as long each time up to 10
// minutes, and its refusal is an ERROR once, its repeats at debug: the
// same config fails the same way, and the gateway reads its config only
// at its restart. Before, it was launched every 30 s for as long as the
// gateway ran.
func TestInitRefusalBacksOff(t *testing.T) {
	logs := &syncbuf.Buffer{}
	h := New(Config{Name: "echo", Path: plugintest.BuildBinary(t, echoPkg), DataDir: t.TempDir(),
		ConfigJSON: []byte(`{"contactz": 3}`), Domain: "echo.localhost", ConfigAt: "/etc/passerelle.toml:11",
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	waits := make(chan time.Duration, 64)
	h.after = func(d time.Duration) <-chan time.Time {
		select {
		case waits <- d:
		default: // the test has ended
		}
		now := make(chan time.Time, 1)
		now <- time.Now()
		return now
	}
	running(t, h)
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 10 * time.Minute, 10 * time.Minute}
	var got []time.Duration
	for range want {
		select {
		case d := <-waits:
			got = append(got, d)
		case <-time.After(60 * time.Second):
			t.Fatalf("waits before the plugin's restarts %v, want %v", got, want)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("waits before the plugin's restarts %v, want %v", got, want)
	}
	refusals := strings.Count(logs.String(), `msg="transport plugin refused to start; fix what it says"`)
	if errs := strings.Count(logs.String(), "level=ERROR"); errs != 1 || refusals < len(want) {
		t.Errorf("%d ERROR lines in %d refusals, want the refusal at error once:\n%s", errs, refusals, logs)
	}
	if !strings.Contains(logs.String(), `level=ERROR msg="transport plugin refused to start; fix what it says" transport=echo config=/etc/passerelle.toml:11 err="the plugin refused to start: echo: the transport's config: unknown key \"contactz\"`) ||
		!strings.Contains(logs.String(), `hint="a change to the config file applies at the gateway's restart"`) {
		t.Errorf("the refusal does not name the config, the plugin's words and that a restart applies a fix:\n%s", logs)
	}
}
