package bridge

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A relogin (account.go) disconnects the login and connects it again:
// in between the plugin has no session for it and refuses its commands
// LOGIN_REQUIRED, which a client read as registration-required, "login
// ... is not connected", though the user is registered. As a message at
// the gateway's start waits for the logins to be connected (the plugin
// host's ready wait), a user's message meanwhile waits for the relogin;
// one that reached the plugin as the login went is sent again once it
// is back, or refused with a wait-type error the client may retry on
// (RFC 6120 §8.3.2).

// reloginWait bounds how long a user's message waits for a relogin: its
// disconnect and connect calls take at most callTimeout, and the wait
// for the plugin before them targetWait. A variable for the tests of a
// relogin that outlasts it.
//
// Atomic: a test shortens it while a resend of an earlier test may read it.
var reloginWait atomic.Int64

func init() { reloginWait.Store(int64(callTimeout + targetWait)) }

// reloginGate tells a session's messages of its relogin under way.
type reloginGate struct {
	mu sync.Mutex
	// back is closed when the relogin under way is done; nil when none is.
	back chan struct{}
	// begun counts the relogins begun.
	begun uint64
}

// reloginMark is what a message knew of relogins as it went: whether
// one was under way, and how many had begun.
type reloginMark struct {
	busy  bool
	begun uint64
}

// beginRelogin marks a relogin under way until end is called.
func (g *reloginGate) beginRelogin() (end func()) {
	back := make(chan struct{})
	g.mu.Lock()
	g.back = back
	g.begun++
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		if g.back == back {
			g.back = nil
		}
		g.mu.Unlock()
		close(back)
	}
}

// mark is what a message going now knows of relogins.
func (g *reloginGate) mark() reloginMark {
	m, _ := g.state()
	return m
}

// state is mark, with the channel closed when the relogin under way is
// done (nil when none is).
func (g *reloginGate) state() (reloginMark, chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return reloginMark{busy: g.back != nil, begun: g.begun}, g.back
}

// touched reports whether a relogin may have taken the login away from
// under a command sent at m: one was under way then, or began since.
func (g *reloginGate) touched(m reloginMark) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return m.busy || g.begun != m.begun
}

// awaitRelogin waits, at most reloginWait, for the relogin under way,
// if any, to be done; then returns the mark a command going now has.
// The error, for the user, says nothing was sent.
func (s *session) awaitRelogin(ctx context.Context) (reloginMark, error) {
	timer := time.NewTimer(time.Duration(reloginWait.Load()))
	defer timer.Stop()
	for {
		m, back := s.relogins.state()
		if back == nil {
			return m, nil
		}
		select {
		case <-back:
		case <-timer.C:
			return m, s.reconnecting()
		case <-ctx.Done():
			return m, fmt.Errorf("waiting for the %s login to reconnect: %w", s.t.displayName(), ctx.Err())
		}
	}
}

// reconnecting is the error of a message a relogin kept from the
// network: nothing was sent, and the client may send it again.
func (s *session) reconnecting() error {
	return fmt.Errorf("your %s login is reconnecting (relogin): nothing was sent; send it again once it is back", s.t.displayName())
}

// reloginRefused reports whether r is a refusal of a command sent at m
// for the login being gone, by a relogin under way then or since.
func (s *session) reloginRefused(r *pb.CommandResult, m reloginMark) bool {
	return r.Error != nil && r.Error.Code == pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED && r.MessageId == "" && s.relogins.touched(m)
}
