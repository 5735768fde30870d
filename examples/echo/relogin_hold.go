package echo

import (
	"context"
	"sync"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// HoldRelogin and ReleaseRelogins are test knobs, texts sent to any
// contact (and echoed as any text is): after HoldRelogin, the account's
// next Connect (a relogin's) waits, its session loaded and not
// connected, until any account sends ReleaseRelogins, as a network
// still dialling would; meanwhile its commands are refused
// LOGIN_REQUIRED. A test thus acts while a relogin is under way however
// slow the machine: the account's own messages then wait in the
// gateway, so another account releases it. A held Connect that outlives
// its call's time limit answers UNAVAILABLE. A correction of the
// account's while the hold is set waits until the held Connect began
// (the session it came to disconnected meanwhile), then fails as a
// call in flight on a dropped connection does: LOGIN_REQUIRED.
const (
	HoldRelogin     = "hold-relogin"
	ReleaseRelogins = "release-relogins"
)

// reloginHold is an account's held Connect: reached is closed once it
// is under way, release to let it go on.
type reloginHold struct {
	reached, release chan struct{}
	once             sync.Once
}

// reloginCommand holds the account's next Connect, or releases every
// held one, when text says so.
func (s *Session) reloginCommand(text string) {
	switch text {
	case HoldRelogin:
		s.n.reloginHolds.LoadOrStore(s.loginID, &reloginHold{reached: make(chan struct{}), release: make(chan struct{})})
	case ReleaseRelogins:
		s.n.reloginHolds.Range(func(k, h any) bool {
			if _, ok := s.n.reloginHolds.LoadAndDelete(k); ok {
				close(h.(*reloginHold).release)
			}
			return true
		})
	}
}

// heldConnect waits, when the account's Connect is held, for its release.
func (s *Session) heldConnect(ctx context.Context) error {
	v, held := s.n.reloginHolds.Load(s.loginID)
	if !held {
		return nil
	}
	h := v.(*reloginHold)
	s.n.host.Logger().Info("echo: connect held", "login", s.loginID)
	h.once.Do(func() { close(h.reached) })
	select {
	case <-h.release:
		return nil
	case <-ctx.Done():
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "connecting %s: held, never released: %v", s.loginID, ctx.Err())
	}
}

// editInFlight holds a correction while the account's relogin is held
// and not under way yet, until it is.
func (s *Session) editInFlight(ctx context.Context) {
	v, held := s.n.reloginHolds.Load(s.loginID)
	if !held {
		return
	}
	s.n.host.Logger().Info("echo: correction held until the relogin", "login", s.loginID)
	select {
	case <-v.(*reloginHold).reached:
	case <-ctx.Done():
	}
}
