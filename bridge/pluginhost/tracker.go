package pluginhost

import "sync"

// What the host runs beside a plugin process and may outlive it (the
// commands' callbacks, which run the caller's code: a store write, a
// stanza; the resend of a dead plugin's commands) runs in goroutines
// Close waits for. Before, they were untracked: a command refused after
// the stop had its callback run after the caller's store was closed.

// tracker counts the host's goroutines that Close waits for.
type tracker struct {
	mu     sync.Mutex
	wg     sync.WaitGroup
	closed bool // Close waits for wg: nothing more starts on it
}

// add counts one more goroutine, unless Close waits already.
func (t *tracker) add() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	// An Add after Wait began is a misuse: closed, under mu, comes
	// before the Wait.
	t.wg.Add(1)
	return true
}

// goOr runs f in a goroutine Close waits for; once Close waits, in the
// caller, as nobody would wait for it elsewhere.
func (t *tracker) goOr(f func()) {
	if !t.add() {
		f()
		return
	}
	go func() {
		defer t.wg.Done()
		f()
	}()
}

// run runs f in the caller's goroutine (a timer's), counted for Close as
// long as Close has not begun to wait.
func (t *tracker) run(f func()) {
	if t.add() {
		defer t.wg.Done()
	}
	f()
}

// close waits for the goroutines started, and for those they start.
func (t *tracker) close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.wg.Wait()
}
