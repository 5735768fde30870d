// Package stopwait counts the goroutines an owner's stop waits for:
// the bridge's work beside the chats, the plugin host's callbacks. Once
// the stop waits, work is run in its caller instead, as nobody would wait
// for it elsewhere (its context has ended by then, so it ends at once).
package stopwait

import "sync"

// Group counts goroutines Stop waits for. The zero value is ready.
type Group struct {
	mu     sync.Mutex
	wg     sync.WaitGroup
	closed bool // Stop waits for wg: nothing more starts on it
}

// add counts one more, unless Stop waits already.
func (g *Group) add() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	// An Add after Wait began is a misuse: closed, under mu, comes
	// before the Wait.
	g.wg.Add(1)
	return true
}

// Go runs f in a goroutine Stop waits for; once Stop waits, in the
// caller.
func (g *Group) Go(f func()) {
	if !g.add() {
		f()
		return
	}
	go func() {
		defer g.wg.Done()
		f()
	}()
}

// Run runs f in the caller's goroutine (a timer's), counted for Stop as
// long as Stop has not begun to wait.
func (g *Group) Run(f func()) {
	if g.add() {
		defer g.wg.Done()
	}
	f()
}

// RunLive runs f in the caller's goroutine (a timer's), counted for Stop,
// unless Stop waits already: then f is not run, and RunLive reports
// false. For work that is of no use after the stop (a timeout, a late
// notice), which Run would run past it.
func (g *Group) RunLive(f func()) bool {
	if !g.add() {
		return false
	}
	defer g.wg.Done()
	f()
	return true
}

// Stop waits for the goroutines started, and for those they start.
func (g *Group) Stop() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.wg.Wait()
}

// Wait waits for the goroutines started so far without stopping: more
// may start after it (a test's point where the work under way is done).
func (g *Group) Wait() { g.wg.Wait() }
