package sdk

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"passerelle.im/passerelle/plugins/limits"
	pb "passerelle.im/passerelle/plugins/proto"
)

// undoTimeout bounds the logout of a login refused by checkedLogin.
const undoTimeout = 10 * time.Second

// servedTransport is the transport Serve runs for c: its logins are
// held to the contract's limits (checkedConnector).
func servedTransport[S Session](c Connector[S]) transport {
	return newConnectorTransport[S](&checkedConnector[S]{Connector: c})
}

// checkedConnector is a plugin's Connector whose login processes'
// completed logins are checked (checkedLogin). It forwards the
// Connector's methods alone, not the optional interfaces the plugin's
// Connector may implement: a type assertion on it finds none of them.
// None is needed: the SDK's one optional Connector interface, Stopper,
// is looked for on the plugin's own value, by Serve, before it is
// wrapped, and connectorTransport, which holds the wrapper, calls only
// the Connector's methods. An optional Connector interface added later
// is looked for in Serve the same way, or forwarded here; looked for
// on the wrapper, it would never be found.
type checkedConnector[S Session] struct {
	Connector[S]
	host Host
}

// Init keeps the host, for the log of a refused login.
func (c *checkedConnector[S]) Init(ctx context.Context, req InitRequest, host Host) (*pb.Capabilities, error) {
	c.host = host
	return c.Connector.Init(ctx, req, host)
}

// StartLogin wraps the plugin's process in a checkedLogin with the same
// optional interfaces (LoginSubmitter, LoginWaiter).
func (c *checkedConnector[S]) StartLogin(ctx context.Context, req LoginRequest) (LoginProcess, error) {
	p, err := c.Connector.StartLogin(ctx, req)
	if err != nil || p == nil {
		return p, err
	}
	l := &checkedLogin[S]{p: p, c: c, req: req}
	sub, submits := p.(LoginSubmitter)
	w, waits := p.(LoginWaiter)
	switch {
	case submits && waits:
		return &checkedBoth[S]{l, sub, w}, nil
	case submits:
		return &checkedSubmitter[S]{l, sub}, nil
	case waits:
		return &checkedWaiter[S]{l, w}, nil
	}
	return l, nil
}

// checkedLogin is a login process whose completed login is refused when
// the gateway could not keep its ID (checkID: a NUL byte, over
// MaxIDBytes): the login is logged out on the network at once (LoadLogin,
// then the session's Logout, as a Logout of a login not connected), and
// the host is answered BAD_REQUEST saying why. Handed over, the gateway
// refused to store it and the plugin kept it: on a network that links a
// device, a device linked that neither the user nor the gateway could
// use or end.
type checkedLogin[S Session] struct {
	p   LoginProcess
	c   *checkedConnector[S]
	req LoginRequest

	mu      sync.Mutex
	refused bool // a completed login was refused: the process is over
}

func (l *checkedLogin[S]) Start(ctx context.Context) (*pb.LoginStep, error) {
	step, err := l.p.Start(ctx)
	return l.check(ctx, step, err)
}

// Cancel cancels the plugin's process, unless its login completed (and
// was refused): the SDK cancels no completed process.
func (l *checkedLogin[S]) Cancel() {
	l.mu.Lock()
	refused := l.refused
	l.mu.Unlock()
	if !refused {
		l.p.Cancel()
	}
}

// over refuses a step of a process whose login was refused.
func (l *checkedLogin[S]) over() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.refused {
		return Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "this login was refused; start another")
	}
	return nil
}

// check passes step on, unless it completes a login whose ID the
// gateway cannot keep.
func (l *checkedLogin[S]) check(ctx context.Context, step *pb.LoginStep, err error) (*pb.LoginStep, error) {
	done := step.GetComplete()
	if err != nil || done == nil {
		return step, err
	}
	bad := checkID("login_id", done.LoginId)
	if bad == nil {
		return step, nil
	}
	l.mu.Lock()
	l.refused = true
	l.mu.Unlock()
	logout := l.undo(ctx, done)
	if h := l.c.host; h != nil {
		if logout != nil {
			h.Logger().Error("sdk: a login completed with an ID the gateway cannot keep, and its logout failed: the account may stay linked on the network", "err", bad, "logout_err", logout)
		} else {
			h.Logger().Error("sdk: a login completed with an ID the gateway cannot keep; it was logged out", "err", bad)
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
	return nil, Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST,
		"the network's ID for this account %s: the gateway cannot keep this login, %s", why, undone)
}

// undo logs out done, a completed login of the process: the session is
// loaded as for a Connect, then logged out.
func (l *checkedLogin[S]) undo(ctx context.Context, done *pb.CompleteStep) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
	defer cancel()
	s, err := l.c.LoadLogin(ctx, LoginInfo{LoginID: done.LoginId, UserJID: l.req.UserJID, SavedState: done.SavedState, Dir: l.req.Dir})
	if err != nil {
		return fmt.Errorf("loading it: %w", err)
	}
	return s.Logout(ctx)
}

type checkedSubmitter[S Session] struct {
	*checkedLogin[S]
	sub LoginSubmitter
}

func (l *checkedSubmitter[S]) Submit(ctx context.Context, fields map[string]string) (*pb.LoginStep, error) {
	return l.submit(ctx, l.sub, fields)
}

type checkedWaiter[S Session] struct {
	*checkedLogin[S]
	w LoginWaiter
}

func (l *checkedWaiter[S]) Wait(ctx context.Context) (*pb.LoginStep, error) {
	return l.wait(ctx, l.w)
}

type checkedBoth[S Session] struct {
	*checkedLogin[S]
	sub LoginSubmitter
	w   LoginWaiter
}

func (l *checkedBoth[S]) Submit(ctx context.Context, fields map[string]string) (*pb.LoginStep, error) {
	return l.submit(ctx, l.sub, fields)
}

func (l *checkedBoth[S]) Wait(ctx context.Context) (*pb.LoginStep, error) {
	return l.wait(ctx, l.w)
}

func (l *checkedLogin[S]) submit(ctx context.Context, sub LoginSubmitter, fields map[string]string) (*pb.LoginStep, error) {
	if err := l.over(); err != nil {
		return nil, err
	}
	step, err := sub.Submit(ctx, fields)
	return l.check(ctx, step, err)
}

func (l *checkedLogin[S]) wait(ctx context.Context, w LoginWaiter) (*pb.LoginStep, error) {
	if err := l.over(); err != nil {
		return nil, err
	}
	step, err := w.Wait(ctx)
	return l.check(ctx, step, err)
}
