package telegram

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/auth"
	"github.com/gotd/td/telegram/auth/qrlogin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// qrLogin is the QR code flow: the tg://login?token=... URL shown as a QR
// code, a new one each time the token expires, until a phone scans it;
// then the 2FA password when the account has one.
type qrLogin struct {
	n   *Network
	req sdk.LoginRequest

	mu       sync.Mutex
	r        *runner
	app      app
	own      bool
	token    qrlogin.Token
	stage    string  // "app", "qr", "password"
	pw       twoStep // loginpassword.go
	closed   bool
	scanned  chan struct{} // UpdateLoginToken came
	scanOnce sync.Once
	// cancelled is closed by Cancel: a Wait under way ends at once (the
	// gateway's WaitLogin outlives a CancelLogin).
	cancelled  chan struct{}
	cancelOnce sync.Once
}

var (
	_ sdk.LoginSubmitter = (*qrLogin)(nil)
	_ sdk.LoginWaiter    = (*qrLogin)(nil)
)

func newQRLogin(n *Network, req sdk.LoginRequest) *qrLogin {
	return &qrLogin{n: n, req: req, scanned: make(chan struct{}, 1), cancelled: make(chan struct{})}
}

// Start shows the first QR code, or asks for an application first when
// the transport has none.
func (q *qrLogin) Start(ctx context.Context) (*pb.LoginStep, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n.cfg.APIID == 0 {
		q.stage = "app"
		return q.appForm(""), nil
	}
	return q.begin(ctx, app{ID: q.n.cfg.APIID, Hash: q.n.cfg.APIHash}, false)
}

func (q *qrLogin) appForm(errText string) *pb.LoginStep {
	return &pb.LoginStep{
		Instructions: "This gateway has no Telegram application: give your own, from my.telegram.org.",
		Error:        errText,
		Step:         &pb.LoginStep_Form{Form: &pb.FormStep{Fields: q.n.appFields()}},
	}
}

// begin connects and shows the first code.
func (q *qrLogin) begin(ctx context.Context, a app, own bool) (*pb.LoginStep, error) {
	h := telegram.UpdateHandlerFunc(func(_ context.Context, u tg.UpdatesClass) error {
		if hasLoginToken(u) {
			q.scanOnce.Do(func() { q.scanned <- struct{}{} })
		}
		return nil
	})
	r, err := startRunner(ctx, q.n.newClient(a, q.req.Dir, h, nil), nil)
	if err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "telegram: %s", loginProblem("Telegram cannot be reached", err))
	}
	q.r, q.app, q.own, q.stage = r, a, own, "qr"
	return q.export(ctx)
}

func hasLoginToken(u tg.UpdatesClass) bool {
	var list []tg.UpdateClass
	switch u := u.(type) {
	case *tg.Updates:
		list = u.Updates
	case *tg.UpdatesCombined:
		list = u.Updates
	case *tg.UpdateShort:
		list = []tg.UpdateClass{u.Update}
	}
	for _, x := range list {
		if _, ok := x.(*tg.UpdateLoginToken); ok {
			return true
		}
	}
	return false
}

// export asks for a token and shows it.
func (q *qrLogin) export(ctx context.Context) (*pb.LoginStep, error) {
	t, err := q.r.client.QR().Export(ctx)
	if err != nil {
		return q.fail(ctx, err)
	}
	if t.Empty() {
		// Already accepted.
		return q.importToken(ctx)
	}
	q.token = t
	return &pb.LoginStep{
		Instructions: "Scan this QR code with Telegram on your phone: Settings, Devices, Link Desktop Device. A new code comes when this one expires.",
		Step:         &pb.LoginStep_Display{Display: &pb.DisplayStep{Type: pb.DisplayType_DISPLAY_TYPE_QR, Data: t.URL()}},
	}, nil
}

// fail turns an error of the QR flow into its step.
func (q *qrLogin) fail(ctx context.Context, err error) (*pb.LoginStep, error) {
	if tgerr.Is(err, "SESSION_PASSWORD_NEEDED") || errors.Is(err, auth.ErrPasswordAuthNeeded) {
		q.stage = "password"
		return q.pw.start(ctx, q.r), nil
	}
	if _, flood := tgerr.AsFloodWait(err); flood {
		// Not a refusal of the account: a wait (resource-constraint).
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "%s", refusal(err))
	}
	if r := refusal(err); r != "" {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "%s", r)
	}
	return nil, cmdErr("QR login", err)
}

// Wait waits for the scan, showing a new code when the token expires.
func (q *qrLogin) Wait(ctx context.Context) (*pb.LoginStep, error) {
	q.mu.Lock()
	if q.stage != "qr" || q.closed {
		q.mu.Unlock()
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: no QR code is shown")
	}
	until := time.Until(q.token.Expires())
	q.mu.Unlock()
	if until < time.Second {
		until = time.Second
	}
	t := time.NewTimer(until)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-q.cancelled:
		return nil, errLoginCancelled
	case <-t.C:
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.closed {
			return nil, errLoginCancelled // ended while this waited: no client
		}
		return q.export(ctx)
	case <-q.scanned:
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.closed {
			return nil, errLoginCancelled
		}
		return q.importToken(ctx)
	}
}

// errLoginCancelled answers a step of a login process the user ended.
var errLoginCancelled = sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: this login was cancelled")

// importToken finishes after the scan.
func (q *qrLogin) importToken(ctx context.Context) (*pb.LoginStep, error) {
	if _, err := q.r.client.QR().Import(ctx); err != nil {
		return q.fail(ctx, err)
	}
	return q.complete(ctx)
}

// Submit takes the application, or the password after the scan.
func (q *qrLogin) Submit(ctx context.Context, f map[string]string) (*pb.LoginStep, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.closed:
		return nil, errLoginCancelled
	case q.stage == "app":
		a, own, problem := q.n.readApp(f)
		if problem != "" {
			return q.appForm(problem), nil
		}
		return q.begin(ctx, a, own)
	case q.stage == "password":
		if step := q.pw.submit(ctx, q.r, f); step != nil {
			return step, nil
		}
		return q.complete(ctx)
	}
	return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: scan the QR code; there is no form to fill")
}

func (q *qrLogin) complete(ctx context.Context) (*pb.LoginStep, error) {
	step, err := completeLogin(ctx, q.r, q.app, q.own)
	q.r.stop()
	q.r, q.closed = nil, true
	return step, err
}

// Cancel stops the client and ends a Wait under way.
func (q *qrLogin) Cancel() {
	q.cancelOnce.Do(func() { close(q.cancelled) })
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.r.stop()
	q.r = nil
}
