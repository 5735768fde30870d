package echo

import (
	"sync"
	"time"
)

// later is the work a Connect leaves to timers: the states of its
// connection still to come (a CONNECTED once the dial gets through, a
// retry's failure). The SDK stamps a state with the login's latest
// Connect as it is emitted, so one of a connection gone, emitted after
// the next Connect began, would pass for the new connection's: the
// session's Disconnect, Logout and next Connect end it first.
type later struct {
	mu     sync.Mutex
	gen    uint64 // the connection under way; ending it moves to the next
	timers []*time.Timer
}

// after runs f d from now, unless the connection under way ended
// meanwhile. f runs under the lock, so that an end waits for one under
// way: it must not block (Emit does not).
func (s *Session) after(d time.Duration, f func()) {
	l := &s.later
	l.mu.Lock()
	defer l.mu.Unlock()
	gen := l.gen
	l.timers = append(l.timers, time.AfterFunc(d, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.gen == gen {
			f()
		}
	}))
}

// endLater ends the connection under way: once it returns, nothing
// after scheduled for it runs any more.
func (s *Session) endLater() {
	l := &s.later
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gen++
	for _, t := range l.timers {
		t.Stop()
	}
	l.timers = nil
}
