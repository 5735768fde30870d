package sdk

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Garbage collector pacing for the gateway and plugins (see PaceGC).
const (
	gcIdlePercent = 100      // Go's default, when little is allocated
	gcBusyPercent = 400      // at most, under load
	gcHeadroom    = 64 << 20 // the most heap the busy setting adds over the default's goal
	gcBusyRate    = 4 << 20  // bytes allocated per second that make a process busy
	gcIdleAfter   = 5 * time.Second
)

// PaceGC lets the garbage collector run less often while the process is
// busy, unless the GOGC environment variable is set (then it does nothing
// and returns false). It samples the allocation rate once a second until
// ctx ends.
//
// Under load the gateway and its plugin allocate for every message, and
// with Go's default (GOGC=100) the collector ran several times a second:
// 7 % of the gateway's CPU samples at a window of 20, 2 % with pacing.
// Measured with passerelle-bench on 2 vCPUs (4 A B pairs), pacing raised
// the echo path's msgs/s by 8 to 9 % and cut the gateway's CPU per message
// by 7 to 11 %. A fixed GOGC=400 would also let an idle heap grow to five
// times its live size and a large one by hundreds of MiB, so while busy
// the percent stays at most 400 and adds at most 64 MiB to the heap's
// goal (the 1,000-login start-up: 143 -> 208 MiB of RSS), and after five
// quiet seconds it goes back to 100, which lets the idle heap shrink.
func PaceGC(ctx context.Context) bool {
	if os.Getenv("GOGC") != "" {
		return false
	}
	p := &gcPacer{percent: gcIdlePercent, busyRate: gcBusyRate, idleAfter: gcIdleAfter, set: setGCPercent}
	go p.run(ctx, time.Second)
	return true
}

func setGCPercent(percent int) { debug.SetGCPercent(percent) }

// gcPacer decides the GC percent from samples of the allocation rate.
type gcPacer struct {
	percent   int    // in force
	busyRate  uint64 // bytes per second
	idleAfter time.Duration
	quiet     time.Duration // since the last busy sample
	set       func(percent int)
}

func (p *gcPacer) run(ctx context.Context, every time.Duration) {
	samples := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(samples)
	allocs, at := samples[0].Value.Uint64(), time.Now()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(samples)
		now := time.Now()
		p.sample(samples[0].Value.Uint64()-allocs, now.Sub(at), samples[1].Value.Uint64())
		allocs, at = samples[0].Value.Uint64(), now
	}
}

// sample takes what was allocated over elapsed and the live heap after the
// last collection, and sets the percent that follows.
func (p *gcPacer) sample(allocated uint64, elapsed time.Duration, live uint64) {
	next := p.percent
	if elapsed > 0 && float64(allocated)/elapsed.Seconds() >= float64(p.busyRate) {
		p.quiet = 0
		next = busyPercent(live)
	} else if p.quiet += elapsed; p.quiet >= p.idleAfter {
		next = gcIdlePercent
	}
	if next != p.percent {
		p.percent = next
		p.set(next)
	}
}

// busyPercent is the most GOGC that keeps the heap's goal, live*(1+p/100),
// within gcHeadroom of the default's, live*2; rounded down to 25 so that a
// live heap moving a little does not change it at every sample.
func busyPercent(live uint64) int {
	if live == 0 {
		return gcBusyPercent
	}
	extra := min(uint64(gcHeadroom)*100/live, gcBusyPercent-gcIdlePercent)
	return gcIdlePercent + int(extra)/25*25
}
