package telegram

import (
	"context"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

func submit(t *testing.T, p sdk.LoginProcess, f map[string]string) *pb.LoginStep {
	t.Helper()
	step, err := p.(sdk.LoginSubmitter).Submit(ctxT(t), f)
	if err != nil {
		t.Fatalf("submit %v: %v", f, err)
	}
	return step
}

// wantForm checks that step is a form with field id, and an error
// containing errPart ("" = no error).
func wantForm(t *testing.T, step *pb.LoginStep, id, errPart string) {
	t.Helper()
	f := step.GetForm()
	if f == nil {
		t.Fatalf("step %v: want a form with %s", step, id)
	}
	found := false
	for _, x := range f.Fields {
		found = found || x.Id == id
	}
	if !found {
		t.Fatalf("step %v: want field %s", step, id)
	}
	if errPart == "" && step.Error != "" || !strings.Contains(step.Error, errPart) {
		t.Fatalf("step error %q, want %q", step.Error, errPart)
	}
}

// startAliceLogin starts alice's login by phone into dir, at its first
// form, the phone number's.
func startAliceLogin(t *testing.T, n *Network, dir string) sdk.LoginProcess {
	t.Helper()
	ctx := ctxT(t)
	p, err := n.StartLogin(ctx, sdk.LoginRequest{FlowID: FlowPhone, Dir: dir, UserJID: "alice@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	step, err := p.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantForm(t, step, "phone", "")
	return p
}

// loginAlice logs alice in by phone, code and 2FA password into dir, each
// right the first time: the login every test of what comes after it
// needs. phoneLoginAlice is the same login with its refusals, each a
// round trip (a wrong password costs an SRP check on either side).
func loginAlice(t *testing.T, n *Network, dir string) *pb.CompleteStep {
	t.Helper()
	p := startAliceLogin(t, n, dir)
	wantForm(t, submit(t, p, map[string]string{"phone": "+33 6 00 00 00 01"}), "code", "")
	wantForm(t, submit(t, p, map[string]string{"code": alice.Code}), "password", "")
	done := submit(t, p, map[string]string{"password": alice.Password}).GetComplete()
	if done == nil {
		t.Fatal("the right password did not complete the login")
	}
	return done
}

// phoneLoginAlice logs alice in by phone, code and 2FA password into dir,
// checking the wrong answers on the way.
func phoneLoginAlice(t *testing.T, n *Network, dir string) *pb.CompleteStep {
	t.Helper()
	p := startAliceLogin(t, n, dir)
	wantForm(t, submit(t, p, map[string]string{"phone": "call me"}), "phone", "no phone number")
	wantForm(t, submit(t, p, map[string]string{"phone": "+33 6 00 00 00 01", "api_id": "5"}), "phone", "go together")
	wantForm(t, submit(t, p, map[string]string{"phone": "+33 6 00 00 00 01"}), "code", "")
	wantForm(t, submit(t, p, map[string]string{"code": "99999"}), "code", "PHONE_CODE_INVALID")
	step := submit(t, p, map[string]string{"code": alice.Code})
	wantForm(t, step, "password", "")
	if !strings.Contains(step.GetForm().Fields[0].Description, alice.Hint) {
		t.Errorf("password field %v does not give the hint", step.GetForm().Fields[0])
	}
	wantForm(t, submit(t, p, map[string]string{"password": "wrong"}), "password", "wrong")
	done := submit(t, p, map[string]string{"password": alice.Password}).GetComplete()
	if done == nil {
		t.Fatal("the right password did not complete the login")
	}
	return done
}

// Phone, code, 2FA password: each wrong answer is asked again with a
// message, the right ones complete the login with the account's ID; the
// session in the login's folder connects without a new code.
func TestPhoneLogin2FA(t *testing.T) {
	srv := newFake(t)
	n, h := newNetwork(t, srv)
	dir := t.TempDir()
	done := phoneLoginAlice(t, n, dir)
	if done.LoginId != "1001" || done.DisplayName != "Alice Liddell" {
		t.Errorf("complete %v", done)
	}
	codes := srv.Requests("auth.signIn")
	reloaded(t, n, sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir})
	h.wait(t, 0, "connected state", func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	if srv.Requests("auth.signIn") != codes {
		t.Error("connecting signed in again")
	}
}

// A login step waits for the connection to Telegram as long as its caller
// lets it (the step's context), not a bound of the plugin's own on top: a
// key exchange on a loaded machine took longer than DialTimeout, well
// within the caller's deadline, and the step failed "Telegram cannot be
// reached". DialTimeout bounds only a wait without a deadline.
func TestLoginStepWaitsForItsCaller(t *testing.T) {
	old := DialTimeout
	DialTimeout = time.Nanosecond // passed before any key exchange ends
	t.Cleanup(func() { DialTimeout = old })
	srv := newFake(t)
	n, _ := newNetwork(t, srv)
	p := startAliceLogin(t, n, t.TempDir())
	defer p.Cancel()
	wantForm(t, submit(t, p, map[string]string{"phone": "+33 6 00 00 00 01"}), "code", "")
	_, q, step := qrStarted(t, srv)
	defer q.Cancel()
	if step.GetDisplay() == nil {
		t.Errorf("QR login's first step %v, want its code", step)
	}
}

// A number without an account is refused (no sign-up); a banned number
// and a flood wait say so.
func TestPhoneLoginRefusals(t *testing.T) {
	srv := newFake(t)
	srv.AddUser(tgfake.User{ID: 1066, Phone: "33600000066", Code: "1", Banned: true})
	n, _ := newNetwork(t, srv)
	start := func() sdk.LoginProcess {
		p := startPhoneLogin(t, n)
		t.Cleanup(p.Cancel)
		return p
	}
	p := start()
	wantForm(t, submit(t, p, map[string]string{"phone": "+33600000099"}), "code", "")
	wantForm(t, submit(t, p, map[string]string{"code": "11111"}), "phone", "no Telegram account")
	wantForm(t, start().(*phoneLogin).mustSubmit(t, "+33600000066"), "phone", "banned")
	srv.FloodWait = 42
	wantForm(t, start().(*phoneLogin).mustSubmit(t, "+33600000001"), "phone", "wait 42s")
}

func (p *phoneLogin) mustSubmit(t *testing.T, phone string) *pb.LoginStep {
	t.Helper()
	return submit(t, p, map[string]string{"phone": phone})
}

// qrStarted is a QR login on srv, started: the process and its first
// step.
func qrStarted(t *testing.T, srv *tgfake.Server) (context.Context, sdk.LoginProcess, *pb.LoginStep) {
	t.Helper()
	n, _ := newNetwork(t, srv)
	ctx := ctxT(t)
	p, err := n.StartLogin(ctx, sdk.LoginRequest{FlowID: FlowQR, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	step, err := p.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, p, step
}

// QR login: the token URL as a QR display step; the scan from a phone
// whose account has a password asks for it; then the login completes.
func TestQRLogin(t *testing.T) {
	srv := newFake(t)
	ctx, p, step := qrStarted(t, srv)
	d := step.GetDisplay()
	if d == nil || d.Type != pb.DisplayType_DISPLAY_TYPE_QR || !strings.HasPrefix(d.Data, "tg://login?token=") {
		t.Fatalf("first step %v: want a QR code of tg://login?token=", step)
	}
	if !srv.ScanQR(alice.ID, d.Data) {
		t.Fatal("the server does not know the token shown")
	}
	step, err := p.(sdk.LoginWaiter).Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantForm(t, step, "password", "")
	wantForm(t, submit(t, p, map[string]string{"password": "nope"}), "password", "wrong")
	done := submit(t, p, map[string]string{"password": alice.Password}).GetComplete()
	if done == nil || done.LoginId != "1001" {
		t.Fatalf("complete %v", done)
	}
}

// The QR code changes when its token expires; the new one logs in (an
// account without a password completes at once).
func TestQRRotates(t *testing.T) {
	srv := newFake(t)
	srv.QRTokenTTL = 1
	ctx, p, step := qrStarted(t, srv)
	defer p.Cancel()
	first := step.GetDisplay().GetData()
	step, err := p.(sdk.LoginWaiter).Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second := step.GetDisplay().GetData()
	if second == "" || second == first {
		t.Fatalf("after the expiry: %v, want a new QR code", step)
	}
	if !srv.ScanQR(bob.ID, second) {
		t.Fatal("the new token is unknown to the server")
	}
	for {
		step, err = p.(sdk.LoginWaiter).Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if step.GetComplete() != nil {
			break
		}
		if step.GetDisplay() == nil {
			t.Fatalf("step %v", step)
		}
	}
	if step.GetComplete().LoginId != "1002" {
		t.Errorf("complete %v", step.GetComplete())
	}
}

// The user gives up while the gateway waits for the scan: the gateway's
// WaitLogin goes on after its CancelLogin, so the Wait under way ends
// with an error, at once, and never touches the stopped client (which
// panicked the plugin, all its users with it, when the code expired).
func TestQRCancelWhileWaiting(t *testing.T) {
	srv := newFake(t)
	srv.QRTokenTTL = 1
	ctx, p, _ := qrStarted(t, srv)
	done := make(chan error, 1)
	go func() {
		_, err := p.(sdk.LoginWaiter).Wait(ctx)
		done <- err
	}()
	time.Sleep(200 * time.Millisecond) // let the Wait begin (order only)
	p.Cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a cancelled login's Wait gave a step")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the Wait did not end")
	}
}

// A flood wait when the QR code is asked for is a rate limit (the
// gateway's resource-constraint), saying how long to wait, not a
// refusal of the account (not-allowed).
func TestQRFloodWait(t *testing.T) {
	srv := newFake(t)
	srv.FloodWait = 40
	n, _ := newNetwork(t, srv)
	ctx := ctxT(t)
	p, err := n.StartLogin(ctx, sdk.LoginRequest{FlowID: FlowQR, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Cancel()
	_, err = p.Start(ctx)
	if e := sdk.ToProto(err); e.GetCode() != pb.ErrorCode_ERROR_CODE_RATE_LIMITED || !strings.Contains(e.GetText(), "40s") {
		t.Errorf("a flood wait at the QR code: %v, want RATE_LIMITED saying 40s", err)
	}
}

// startPhoneLogin starts a login of the phone flow on n, at its first
// form.
func startPhoneLogin(t *testing.T, n *Network) sdk.LoginProcess {
	t.Helper()
	p, err := n.StartLogin(ctxT(t), sdk.LoginRequest{FlowID: FlowPhone, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Start(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	return p
}
