package stopwait

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestStopWaitsThenRunsInCaller: Stop returns only once a goroutine
// started before it has ended, and work started after it runs in the
// caller, before Go returns.
func TestStopWaitsThenRunsInCaller(t *testing.T) {
	var g Group
	release := make(chan struct{})
	var ended atomic.Bool
	g.Go(func() {
		<-release
		ended.Store(true)
	})
	stopped := make(chan struct{})
	go func() {
		g.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
		t.Fatal("Stop returned while a goroutine it counts was running")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("Stop did not return once the goroutine ended")
	}
	if !ended.Load() {
		t.Fatal("Stop returned before the goroutine ended")
	}
	ran := false
	g.Go(func() { ran = true }) // in the caller: no race on ran
	g.Run(func() { ran = ran && true })
	if !ran {
		t.Fatal("work started after Stop did not run in the caller")
	}
}

// TestRunLiveNotAfterStop: RunLive runs its work, counted, until Stop
// waits; then not at all (Run would run it in the caller).
func TestRunLiveNotAfterStop(t *testing.T) {
	var g Group
	ran := 0
	if !g.RunLive(func() { ran++ }) || ran != 1 {
		t.Fatalf("before Stop: ran %d times", ran)
	}
	g.Stop()
	if g.RunLive(func() { ran++ }) || ran != 1 {
		t.Fatalf("after Stop: ran %d times, want none", ran-1)
	}
}
