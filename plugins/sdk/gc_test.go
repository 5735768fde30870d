package sdk

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestBusyPercent(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 400},
		{4 << 20, 400},        // small heap: the full setting, goal 20 MiB
		{21 << 20, 400},       // 3 x 21 = 63 MiB over the default's goal
		{41 << 20, 250},       // the 1,000-login start-up: 156 -> 150 extra
		{64 << 20, 200},       // exactly the headroom
		{1 << 30, 100},        // a large heap keeps the default
		{10 << 30, 100},       // and never goes below it
		{(64 << 20) / 3, 400}, // 300 % of it is the headroom
		{(64<<20)/3 + 1, 375}, // a byte more and it steps down
	} {
		if got := busyPercent(c.live); got != c.want {
			t.Errorf("busyPercent(%d MiB) = %d, want %d", c.live>>20, got, c.want)
		}
		// The goal never exceeds the default's by more than the headroom.
		if extra := c.live * uint64(busyPercent(c.live)-100) / 100; extra > gcHeadroom {
			t.Errorf("live %d: %d bytes over the default goal", c.live, extra)
		}
	}
}

func TestGCPacerBusyThenIdle(t *testing.T) {
	var sets []int
	p := &gcPacer{percent: 100, busyRate: 4 << 20, idleAfter: 5 * time.Second, set: func(n int) { sets = append(sets, n) }}
	sec := time.Second
	steps := []struct {
		allocated uint64
		elapsed   time.Duration
		live      uint64
		want      int
	}{
		{1 << 20, sec, 4 << 20, 100},       // idle start
		{32 << 20, sec, 4 << 20, 400},      // load: up
		{16 << 20, 2 * sec, 41 << 20, 250}, // the rate counts, not the amount: 8 MiB/s, large live heap
		{3 << 20, sec, 41 << 20, 250},      // quiet 1 s: kept
		{0, 3 * sec, 41 << 20, 250},        // quiet 4 s: kept
		{10 << 20, 2 * sec, 41 << 20, 250}, // 5 MiB/s: busy again, the quiet time starts over
		{0, 4 * sec, 41 << 20, 250},        // quiet 4 s
		{0, sec, 2 << 20, 100},             // quiet 5 s: back to the default
		{0, sec, 2 << 20, 100},             // stays
	}
	for i, s := range steps {
		p.sample(s.allocated, s.elapsed, s.live)
		if p.percent != s.want {
			t.Fatalf("step %d: percent %d, want %d", i, p.percent, s.want)
		}
	}
	// Set only on changes.
	want := []int{400, 250, 100}
	if len(sets) != len(want) {
		t.Fatalf("set calls %v, want %v", sets, want)
	}
	for i := range want {
		if sets[i] != want[i] {
			t.Fatalf("set calls %v, want %v", sets, want)
		}
	}
}

// TestGCPacerRun drives the real sampling loop with the runtime's own
// allocation counters.
func TestGCPacerRun(t *testing.T) {
	var mu sync.Mutex
	var sets []int
	p := &gcPacer{percent: 100, busyRate: 4 << 20, idleAfter: 300 * time.Millisecond, set: func(n int) {
		mu.Lock()
		sets = append(sets, n)
		mu.Unlock()
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.run(ctx, 50*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()

	seen := func(n int) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range sets {
			if s == n {
				return true
			}
		}
		return false
	}
	// Allocate well over 4 MiB/s until the pacer notices.
	var sink [][]byte
	deadline := time.Now().Add(10 * time.Second)
	for !seen(400) && time.Now().Before(deadline) {
		for range 64 {
			sink = append(sink, make([]byte, 16<<10))
		}
		if len(sink) > 1024 {
			sink = sink[:0]
		}
		time.Sleep(time.Millisecond)
	}
	if !seen(400) {
		t.Fatalf("busy allocation never raised the percent; sets %v", sets)
	}
	sink = nil
	// Then quiet: back to the default.
	for !seen(100) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !seen(100) {
		t.Fatalf("quiet never brought the percent back; sets %v", sets)
	}
	_ = sink
}

func TestPaceGCLeavesGOGC(t *testing.T) {
	t.Setenv("GOGC", "150")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if PaceGC(ctx) {
		t.Fatal("PaceGC started with GOGC set")
	}
}
