package bridge

import (
	"context"
	"errors"
)

// A completed login's Connect runs in the background (tellLogin), and
// the user may meanwhile log out, log in with another account (which
// drops this one), relogin, or the gateway may stop. connectRun is that
// Connect under way, so that each of these ends it cleanly: a login
// that goes cancels it and waits for it before its network logout (the
// plugin serializes a login's Connect and Logout, so the logout comes
// after it, and the user's logout does not wait out a slow dial), and
// its result is not acted on (no contact sync of a login gone).

// errStillConnecting refuses a relogin while the login's first Connect
// is under way: the chat says how that one went.
var errStillConnecting = errors.New("your login is still connecting; a chat message tells how it went: send relogin after it if it did not connect")

// connectRun is the first Connect of a login just completed.
type connectRun struct {
	// ctx ends when the login goes (stopConnect) before its Connect
	// returned; the Connect's own context ends with it.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed once the Connect and what follows it ended
}

// beginConnect marks the session's first Connect under way; finish
// (connectRun.finish) ends the mark.
func (s *session) beginConnect() *connectRun {
	ctx, cancel := context.WithCancel(context.Background())
	run := &connectRun{ctx: ctx, cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	s.connecting = run
	s.mu.Unlock()
	return run
}

// finishConnect ends run, the session's Connect under way.
func (s *session) finishConnect(run *connectRun) {
	s.mu.Lock()
	if s.connecting == run {
		s.connecting = nil
	}
	s.mu.Unlock()
	run.cancel()
	close(run.done)
}

// stillConnecting reports whether the session's first Connect is under
// way.
func (s *session) stillConnecting() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connecting != nil
}

// stopConnect is the login going (logged out, or replaced by another
// account's): the answer to the login has nothing to tell, and its
// Connect under way, if any, is cancelled and waited for (at most until
// ctx ends), so that the plugin's logout comes after it.
func (s *session) stopConnect(ctx context.Context) {
	s.endFirstWatch()
	s.mu.Lock()
	run := s.connecting
	s.mu.Unlock()
	if run == nil {
		return
	}
	run.cancel()
	select {
	case <-run.done:
	case <-ctx.Done():
	}
}
