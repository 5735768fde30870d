package bridge

import (
	"context"
	"sync"
	"time"
)

// A logout under way when the gateway stops is finished, not cut: the
// network's logout is owed when the plugin's call is (the plugin goes
// with the stop), and the user's roster and the gateway's presence are
// cleaned up before the component link closes. Cut by the stop's
// cancelled context, the login was deleted, its folder with it, with no
// logout owed (the network never heard of it: a WhatsApp or Signal
// device stayed linked), and the user kept the contacts and the
// gateway's available presence.

// logoutStopWait bounds how long the stop keeps the link open for the
// logouts under way: the plugin, stopped meanwhile, answers at once.
const logoutStopWait = 10 * time.Second

// logoutsInFlight counts the logouts under way.
type logoutsInFlight struct {
	mu sync.Mutex
	n  int
	// idle is closed, and replaced, each time n falls to 0.
	idle chan struct{}
}

// begin counts a logout under way; ctx is its context, which outlives
// the stop, and done must be called when it ends.
func (l *logoutsInFlight) begin(ctx context.Context) (_ context.Context, done func()) {
	l.mu.Lock()
	l.n++
	l.mu.Unlock()
	var once sync.Once
	return context.WithoutCancel(ctx), func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.n--; l.n == 0 && l.idle != nil {
				close(l.idle)
				l.idle = nil
			}
		})
	}
}

// wait returns once no logout is under way, or after at most d.
func (l *logoutsInFlight) wait(d time.Duration) bool {
	l.mu.Lock()
	if l.n == 0 {
		l.mu.Unlock()
		return true
	}
	if l.idle == nil {
		l.idle = make(chan struct{})
	}
	idle := l.idle
	l.mu.Unlock()
	select {
	case <-idle:
		return true
	case <-time.After(d):
		return false
	}
}
