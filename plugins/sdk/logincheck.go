package sdk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"passerelle.im/passerelle/plugins/limits"
	pb "passerelle.im/passerelle/plugins/proto"
)

// undoTimeout bounds the logout of a login refused by refuseLogin.
const undoTimeout = 10 * time.Second

// refuseLogin checks the login a process completed (done; req started
// the process) against the contract's limits. One whose ID the gateway
// cannot keep (over MaxIDBytes, or holding a NUL) would be refused by
// the gateway's store while the plugin kept it: on a network that links
// a device, one linked with nothing to use or end it. It is logged out
// at once (loaded, then its session's Logout) and refused with
// BAD_REQUEST saying why; nil: the login may go to the host. The
// process is over either way (step forgets a completed one).
func (t *connectorTransport[S]) refuseLogin(ctx context.Context, req LoginRequest, done *pb.CompleteStep) error {
	bad := checkID("login_id", done.LoginId)
	if bad == nil {
		return nil
	}
	logout := t.undoLogin(ctx, req, done)
	if log := t.log.Load(); log != nil {
		if logout != nil {
			log.Error("sdk: a login completed with an ID the gateway cannot keep, and its logout failed: the account may stay linked on the network", "err", bad, "logout_err", logout)
		} else {
			log.Error("sdk: a login completed with an ID the gateway cannot keep; it was logged out", "err", bad)
		}
	}
	why := "holds a NUL byte"
	if errors.Is(limits.CheckID(done.LoginId), limits.ErrTooLong) {
		why = fmt.Sprintf("is %d bytes, over the gateway's limit of %d", len(done.LoginId), MaxIDBytes)
	}
	undone := "which was logged out"
	if logout != nil {
		undone = "and logging it out failed: " + logout.Error()
	}
	return Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST,
		"the network's ID for this account %s: the gateway cannot keep this login, %s", why, undone)
}

// undoLogin logs the refused login out on the network. Its step's
// context ends with the process, so the logout runs on its own bounded
// one.
func (t *connectorTransport[S]) undoLogin(ctx context.Context, req LoginRequest, done *pb.CompleteStep) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
	defer cancel()
	s, err := t.c.LoadLogin(ctx, LoginInfo{LoginID: done.LoginId, UserJID: req.UserJID, SavedState: done.SavedState, Dir: req.Dir})
	if err != nil {
		return fmt.Errorf("loading it: %w", err)
	}
	return s.Logout(ctx)
}
