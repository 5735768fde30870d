package bridge

import (
	"context"
	"fmt"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A fresh login (completed, not yet CONNECTED, no features stored: in
// this process, or in one that stopped before its first CONNECTED)
// may do less than its transport without the gateway knowing yet: its
// own features come with its first CONNECTED (login_features.go). A
// user's message meanwhile waits for them, so that what is checked
// against them (a spoiler on a network without formatting, reactions,
// edits, files...) is not judged by the transport's and sent.

// loginFeaturesWait bounds how long a user's message waits for a fresh
// login to say CONNECTED; then it is refused, nothing sent.
const loginFeaturesWait = 20 * time.Second

// featuresKnown says whether the login's own features are known: it is
// not a fresh login, or it said CONNECTED since.
func (s *session) featuresKnown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.feats.pending
}

// markFeaturesPending marks a login just completed (setFreshLogin)
// whose record keeps no features of its own: until its first CONNECTED,
// its messages wait for them. s.mu is held.
func (s *session) markFeaturesPending() {
	s.feats.pending = featuresUnsaid(s.login.Features)
	s.feats.pendingWake = s.stateWake
}

// stateChanged wakes whoever waits for the login's next state
// (awaitFeatures); setStateTold calls it once the state and its
// features are recorded.
func (s *session) stateChanged() {
	s.mu.Lock()
	if s.stateWake != nil {
		close(s.stateWake)
	}
	s.stateWake = make(chan struct{})
	s.mu.Unlock()
}

// awaitFeatures waits, at most loginFeaturesWait, until the login's own
// features are known. The error, for the user, says why nothing was
// sent: the login ended (credentials refused, logged out, stopped) or
// is still connecting.
func (s *session) awaitFeatures(ctx context.Context) error {
	timer := time.NewTimer(loginFeaturesWait)
	defer timer.Stop()
	for {
		s.mu.Lock()
		known := !s.feats.pending
		st, wake := s.state, s.stateWake
		fresh := wake != s.feats.pendingWake // a state said since it was marked
		s.mu.Unlock()
		if known {
			return nil
		}
		switch st.state {
		case pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, pb.LoginState_LOGIN_STATE_LOGGED_OUT, pb.LoginState_LOGIN_STATE_STOPPED:
			if !fresh {
				break // the previous login's end (a relogin): wait for this one's state
			}
			return fmt.Errorf("your %s login is not connected (%s%s): nothing was sent; log in again, then resend", s.t.displayName(), stateWords(st.state), suffix(st.msg))
		}
		select {
		case <-wake:
		case <-timer.C:
			return fmt.Errorf("your %s login is still connecting: nothing was sent; try again once it is online", s.t.displayName())
		case <-ctx.Done():
			return fmt.Errorf("waiting for the %s login to connect: %w", s.t.displayName(), ctx.Err())
		}
	}
}

// stateWords names the states a login ends in.
func stateWords(st pb.LoginState) string {
	switch st {
	case pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS:
		return "credentials refused"
	case pb.LoginState_LOGIN_STATE_LOGGED_OUT:
		return "logged out"
	case pb.LoginState_LOGIN_STATE_STOPPED:
		return "stopped"
	}
	return st.String()
}
