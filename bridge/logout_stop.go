package bridge

import (
	"context"
	"errors"
	"slices"
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
//
// A logout that would begin once the stop's wait is over is refused
// (errStopping), the login kept: the plugin is gone by then and the link
// about to close, so its roster clean-up could not be done, and the
// user's roster kept the gateway's contacts with the login deleted.

// logoutStopWait bounds how long the stop keeps the link open for the
// logouts under way: the plugin, stopped meanwhile, answers at once.
const logoutStopWait = 10 * time.Second

// errStopping refuses a logout asked once the stop's wait is over.
var errStopping = errors.New("the gateway is stopping: you are still logged in; log out again once it is back")

// logoutsInFlight counts the logouts under way.
type logoutsInFlight struct {
	mu sync.Mutex
	n  int
	// users are those whose logouts are under way, for the stop's log.
	users []string
	// idle is closed, and replaced, each time n falls to 0.
	idle chan struct{}
	// cut ends every logout's context: the stop's wait gave up on them
	// (a send into a full queue of a link gone down waits for its
	// context alone, and the stop waits for the workers running it).
	cut    context.Context
	cutNow context.CancelFunc
	// stopped: the stop's wait is over; a logout is refused from then.
	stopped bool
}

// begin counts user's logout under way; ctx is its context, which
// outlives the stop (until the stop's wait gives up), and done must be
// called when it ends. Once the stop's wait is over it refuses
// (errStopping).
func (l *logoutsInFlight) begin(ctx context.Context, user string) (_ context.Context, done func(), _ error) {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return nil, nil, errStopping
	}
	l.n++
	l.users = append(l.users, user)
	if l.cut == nil {
		l.cut, l.cutNow = context.WithCancel(context.Background())
	}
	cut := l.cut
	l.mu.Unlock()
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(cut, cancel)
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			stop()
			cancel()
			l.mu.Lock()
			defer l.mu.Unlock()
			if i := slices.Index(l.users, user); i >= 0 {
				l.users = slices.Delete(l.users, i, i+1)
			}
			if l.n--; l.n == 0 && l.idle != nil {
				close(l.idle)
				l.idle = nil
			}
		})
	}, nil
}

// wait returns once no logout is under way, or after at most d; then
// the logouts still under way are cut, and it returns the users whose
// logouts they are. Logouts begun later are refused.
func (l *logoutsInFlight) wait(d time.Duration) (cut []string) {
	l.mu.Lock()
	if l.cut == nil {
		l.cut, l.cutNow = context.WithCancel(context.Background())
	}
	l.stopped = true
	if l.n == 0 {
		l.mu.Unlock()
		return nil
	}
	if l.idle == nil {
		l.idle = make(chan struct{})
	}
	idle := l.idle
	l.mu.Unlock()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-idle:
		return nil
	case <-timer.C:
		l.mu.Lock()
		defer l.mu.Unlock()
		l.cutNow()
		return slices.Clone(l.users)
	}
}

// sendWritten sends data and waits until the link wrote it, at most
// logoutStopWait: what the logout sends last, so that a stop, which
// closes the link once the logouts under way are done, closes it after
// the logout's stanzas (the link writes in order) and not with them
// still queued.
func (t *transport) sendWritten(ctx context.Context, data []byte) {
	t.metrics.ErrorSent(data)
	written := make(chan struct{}, 1)
	if err := t.link.Send(ctx, data, func(error) { written <- struct{}{} }); err != nil {
		t.log.Debug("stanza not sent", "err", err)
		return
	}
	timer := time.NewTimer(logoutStopWait)
	defer timer.Stop()
	select {
	case <-written:
	case <-ctx.Done():
	case <-timer.C:
	}
}
