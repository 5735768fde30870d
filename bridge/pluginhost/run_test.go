package pluginhost

import (
	"context"
	"sync"
	"testing"
	"time"
)

// running runs h until the test ends, or until the stop it returns,
// which waits for Run to return (at most a minute at the test's end: a
// test of the stop itself says when it hangs).
func running(t *testing.T, h *Host) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
			stop()
		case <-time.After(time.Minute):
			t.Error("the host's Run did not return within a minute of its stop")
		}
	})
	return stop
}

// runningReady is running, once the plugin is ready (ready).
func runningReady(t *testing.T, h *Host) (ctx context.Context, stop func()) {
	t.Helper()
	stop = running(t, h)
	return ready(t, h), stop
}

// ready waits for h's plugin to be ready, within 30 s or the test
// fails; ctx, ending with the test or those 30 s, is for its first
// calls.
func ready(t *testing.T, h *Host) (ctx context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	if err := h.WaitReady(ctx); err != nil {
		t.Fatalf("the plugin was not ready within 30 s: %v", err)
	}
	return ctx
}
