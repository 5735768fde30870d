package echo

import (
	"context"

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
// its call's time limit answers UNAVAILABLE.
const (
	HoldRelogin     = "hold-relogin"
	ReleaseRelogins = "release-relogins"
)

// reloginCommand holds the account's next Connect, or releases every
// held one, when text says so.
func (s *Session) reloginCommand(text string) {
	switch text {
	case HoldRelogin:
		s.n.reloginHolds.LoadOrStore(s.loginID, make(chan struct{}))
	case ReleaseRelogins:
		s.n.reloginHolds.Range(func(k, h any) bool {
			if _, ok := s.n.reloginHolds.LoadAndDelete(k); ok {
				close(h.(chan struct{}))
			}
			return true
		})
	}
}

// heldConnect waits, when the account's Connect is held, for its release.
func (s *Session) heldConnect(ctx context.Context) error {
	h, held := s.n.reloginHolds.Load(s.loginID)
	if !held {
		return nil
	}
	s.n.host.Logger().Info("echo: connect held", "login", s.loginID)
	select {
	case <-h.(chan struct{}):
		return nil
	case <-ctx.Done():
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "connecting %s: held, never released: %v", s.loginID, ctx.Err())
	}
}
