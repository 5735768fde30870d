package telegram

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// forgetful has a 2FA password with a recovery e-mail.
var forgetful = tgfake.User{ID: 1009, FirstName: "Fay", Phone: "33600000009", Code: "99990", Password: "lost", Hint: "none",
	RecoveryEmail: "e***@example.org", RecoveryCode: "777777"}

// A forgotten 2FA password: "forgot" has Telegram mail a code to the
// recovery e-mail (auth.requestPasswordRecovery), which logs in
// (auth.recoverPassword; Telegram removes the password), by phone and by
// QR code; an account without a recovery e-mail is told what to do.
func TestPasswordForgotten(t *testing.T) {
	srv := newFake(t)
	srv.AddUser(forgetful)
	n, _ := newNetwork(t, srv)
	ctx := ctxT(t)
	toPassword := func(u tgfake.User) sdk.LoginProcess {
		p := startPhoneLogin(t, n)
		wantForm(t, submit(t, p, map[string]string{"phone": "+" + u.Phone}), "code", "")
		step := submit(t, p, map[string]string{"code": u.Code})
		wantForm(t, step, "password", "")
		if d := step.GetForm().Fields[0].Description; !strings.Contains(d, "Type forgot") {
			t.Errorf("password field %q does not say what to type when forgotten", d)
		}
		return p
	}

	// No recovery e-mail: what to do, and the password still asked.
	p := toPassword(alice)
	wantForm(t, submit(t, p, map[string]string{"password": "Forgot"}), "password", "no recovery e-mail")
	if srv.Requests("auth.requestPasswordRecovery") != 0 {
		t.Error("a recovery asked of Telegram for an account without a recovery e-mail")
	}
	if submit(t, p, map[string]string{"password": alice.Password}).GetComplete() == nil {
		t.Fatal("the password after forgot did not log in")
	}

	// A recovery e-mail: its code, a wrong one asked again.
	p = toPassword(forgetful)
	step := submit(t, p, map[string]string{"password": "forgot"})
	wantForm(t, step, "recovery_code", "")
	if !strings.Contains(step.Instructions, forgetful.RecoveryEmail) {
		t.Errorf("recovery step %q does not say where the code went", step.Instructions)
	}
	wantForm(t, submit(t, p, map[string]string{"recovery_code": "000000"}), "recovery_code", "wrong")
	done := submit(t, p, map[string]string{"recovery_code": forgetful.RecoveryCode}).GetComplete()
	if done == nil || done.LoginId != "1009" {
		t.Fatalf("complete %v: want forgetful logged in by the recovery code", done)
	}

	// By QR code (the password removed above: set again).
	srv.AddUser(forgetful)
	ctx, q, step := qrStarted(t, srv)
	if !srv.ScanQR(forgetful.ID, step.GetDisplay().GetData()) {
		t.Fatal("the server does not know the token shown")
	}
	step, err := q.(sdk.LoginWaiter).Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantForm(t, step, "password", "")
	wantForm(t, submit(t, q, map[string]string{"password": "forgot"}), "recovery_code", "")
	if c := submit(t, q, map[string]string{"recovery_code": forgetful.RecoveryCode}).GetComplete(); c == nil || c.LoginId != "1009" {
		t.Fatalf("QR complete %v", c)
	}
	if got := srv.Requests("auth.recoverPassword"); got != 3 {
		t.Errorf("auth.recoverPassword asked %d times, want 3", got)
	}
}

// A password that is the word itself logs in: it is tried first.
func TestPasswordIsForgot(t *testing.T) {
	srv := newFake(t)
	u := forgetful
	u.Password = "Forgot"
	srv.AddUser(u)
	n, _ := newNetwork(t, srv)
	p := startPhoneLogin(t, n)
	wantForm(t, submit(t, p, map[string]string{"phone": "+" + u.Phone}), "code", "")
	wantForm(t, submit(t, p, map[string]string{"code": u.Code}), "password", "")
	if c := submit(t, p, map[string]string{"password": "Forgot"}).GetComplete(); c == nil {
		t.Fatal("the password Forgot did not log in")
	}
	if srv.Requests("auth.requestPasswordRecovery") != 0 {
		t.Error("a recovery code asked for")
	}
}
