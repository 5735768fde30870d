package sdk

import (
	"os"
	"runtime"
	"sync"
)

// ShareCPUs sets GOMAXPROCS to half the CPUs (at least one) unless the
// GOMAXPROCS environment variable is set, and returns the value in force.
//
// The gateway, its plugins and the XMPP server usually share one machine,
// and the work per message is a chain of short hand-offs between
// goroutines. With a P per CPU, each hand-off wakes another OS thread,
// and on small (virtual) machines those context switches cost more than
// the work: measured with passerelle-bench on 2 vCPUs, one P cut the
// gateway's CPU per echoed message by a quarter to a third and the
// plugin's by a third, and raised throughput accordingly.
func ShareCPUs() int {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(max(1, runtime.NumCPU()/2))
	}
	return runtime.GOMAXPROCS(0)
}

var extraP struct {
	sync.Mutex
	n, base int
}

// WithExtraP runs fn with one more P (GOMAXPROCS) than is in force, then
// gives it back. It is for background work that cannot yield in a process
// ShareCPUs left with one P: a bbolt commit runs for milliseconds without
// a preemption point and blocks in fdatasync, and the stage trace of
// passerelle-bench showed stanzas waiting behind it for 5 to 10 ms. With
// a P of its own the message path keeps running beside it; the P is lent
// only for as long as fn runs, so the hand-offs stay cheap the rest of the
// time. Overlapping calls each add one. Each change of GOMAXPROCS stops
// the world for some microseconds: not for work done per message.
func WithExtraP(fn func()) {
	extraP.Lock()
	if extraP.n == 0 {
		extraP.base = runtime.GOMAXPROCS(0)
	}
	extraP.n++
	runtime.GOMAXPROCS(extraP.base + extraP.n)
	extraP.Unlock()
	defer func() {
		extraP.Lock()
		extraP.n--
		runtime.GOMAXPROCS(extraP.base + extraP.n)
		extraP.Unlock()
	}()
	fn()
}

// RunBackground runs fn, work that can wait, on an OS thread of its own at
// a lower CPU priority (nice +10, Linux only), with a P of its own
// (WithExtraP), and returns when fn does. The gateway and its XMPP server
// share a few cores: passerelle-bench's stage trace put the slowest
// round trips behind the store's checkpoints, and at a lower priority the
// kernel runs the message path first. The thread ends with fn: a priority
// once lowered cannot be raised again without privileges.
func RunBackground(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread exits with this goroutine
		lowerPriority()
		WithExtraP(fn)
	}()
	<-done
}
