// Package background runs the gateway's work that can wait (the store's
// checkpoints) so that it does not hold up the message path: with a
// scheduler P of its own, on a thread of its own at a lower priority.
package background

import (
	"runtime"
	"sync"
)

var extraP struct {
	sync.Mutex
	n, base int
}

// WithExtraP runs fn with one more P (GOMAXPROCS) than is in force, then
// gives it back. It is for background work that cannot yield in a process
// sdk.ShareCPUs left with one P: a bbolt commit runs for milliseconds without
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

// Run runs fn, work that can wait, on an OS thread of its own at
// a lower CPU priority (nice +10, Linux only), with a P of its own
// (WithExtraP), and returns when fn does. The gateway and its XMPP server
// share a few cores: passerelle-bench's stage trace put the slowest
// round trips behind the store's checkpoints, and at a lower priority the
// kernel runs the message path first. The thread ends with fn: a priority
// once lowered cannot be raised again without privileges.
func Run(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread exits with this goroutine
		lowerPriority()
		WithExtraP(fn)
	}()
	<-done
}
