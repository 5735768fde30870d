package signal

import (
	"context"
	"sync"
	"time"

	"passerelle.im/passerelle/plugins/sdk"
)

// StopWait bounds a graceful stop when its context has no deadline:
// go-plugin kills a plugin that has not exited 2 s after the gateway
// asked it to.
var StopWait = 1500 * time.Millisecond

// live records a session connected (on) or ended (off), for Stop.
func (n *Network) live(s *Session, on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sessions == nil {
		n.sessions = map[*Session]bool{}
	}
	if on {
		n.sessions[s] = true
	} else {
		delete(n.sessions, s)
	}
}

// Stop ends the plugin's work cleanly, for a gateway stopping it: every
// connected session ends its subscription and handles what signal-cli
// sent before (Disconnect), so that signal-cli hands over nothing more
// that would sit unread in the socket when the process goes, then the
// daemon the plugin runs gets SIGTERM (it closes its accounts' data)
// and is waited for. The accounts stay in signal-cli; the next start
// connects them again.
var _ sdk.Stopper = (*Network)(nil)

func (n *Network) Stop(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, StopWait)
		defer cancel()
	}
	n.mu.Lock()
	var ss []*Session
	for s := range n.sessions {
		ss = append(ss, s)
	}
	n.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Disconnect(ctx)
		}()
	}
	wg.Wait()
	if n.daemon != nil {
		n.daemon.stop(ctx)
	}
	return nil
}
