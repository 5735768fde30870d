package telegram

import (
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// The code form says where Telegram sent the code (the app, a call whose
// number is the code, the login e-mail): it said "in the Telegram app, or
// by SMS" whatever Telegram answered. A code mailed to the login e-mail
// goes to Telegram as email_verification: sent as a phone code it was
// refused (PHONE_CODE_INVALID) however right, the login impossible. An
// account Telegram wants a login e-mail for first is told so.
func TestPhoneLoginCodeWhere(t *testing.T) {
	srv := newFake(t)
	srv.AddUser(tgfake.User{ID: 1070, FirstName: "Dora", Phone: "33600000070", Code: "424242",
		CodeVia: &tg.AuthSentCodeTypeEmailCode{EmailPattern: "d***@example.org", Length: 6}})
	srv.AddUser(tgfake.User{ID: 1071, FirstName: "Erin", Phone: "33600000071", Code: "4321",
		CodeVia: &tg.AuthSentCodeTypeMissedCall{Prefix: "+44 20", Length: 4}})
	srv.AddUser(tgfake.User{ID: 1072, FirstName: "Fay", Phone: "33600000072", Code: "1",
		CodeVia: &tg.AuthSentCodeTypeSetUpEmailRequired{}})
	n, _ := newNetwork(t, srv)
	start := func() sdk.LoginProcess {
		p := startPhoneLogin(t, n)
		t.Cleanup(p.Cancel)
		return p
	}
	says := func(what, instructions, want string) {
		t.Helper()
		if !strings.Contains(instructions, want) {
			t.Errorf("%s: instructions %q, want %q in them", what, instructions, want)
		}
	}

	step := submit(t, start(), map[string]string{"phone": "+" + alice.Phone})
	wantForm(t, step, "code", "")
	says("the app", step.Instructions, "Telegram app")

	p := start()
	step = submit(t, p, map[string]string{"phone": "+33600000070"})
	wantForm(t, step, "code", "")
	says("the e-mail", step.Instructions, "d***@example.org")
	step = submit(t, p, map[string]string{"code": "000000"})
	wantForm(t, step, "code", "EMAIL_CODE_INVALID")
	says("the e-mail, asked again", step.Instructions, "d***@example.org")
	if done := submit(t, p, map[string]string{"code": "424242"}).GetComplete(); done == nil || done.LoginId != "1070" {
		t.Errorf("the mailed code: %v, want the login complete", done)
	}

	step = submit(t, start(), map[string]string{"phone": "+33600000071"})
	wantForm(t, step, "code", "")
	says("a missed call", step.Instructions, "last 4 digits")

	wantForm(t, submit(t, start(), map[string]string{"phone": "+33600000072"}), "phone", "login e-mail")
}

// A code sent to the Telegram app of a device not at hand can be asked
// for again the next way Telegram offers (next_type): typing "resend"
// as the code sends it by SMS (auth.resendCode); there was no way to.
func TestPhoneLoginResendCode(t *testing.T) {
	srv := newFake(t)
	srv.AddUser(tgfake.User{ID: 1073, FirstName: "Gus", Phone: "33600000073", Code: "55555", ResendSMS: true})
	n, _ := newNetwork(t, srv)
	p := startPhoneLogin(t, n)
	t.Cleanup(p.Cancel)
	step := submit(t, p, map[string]string{"phone": "+33600000073"})
	wantForm(t, step, "code", "")
	if !strings.Contains(step.Instructions, "Type resend to have it sent by SMS") {
		t.Errorf("instructions %q: want how to have the code sent by SMS", step.Instructions)
	}
	step = submit(t, p, map[string]string{"code": "resend"})
	wantForm(t, step, "code", "")
	if !strings.Contains(step.Instructions, "by SMS (5 digits)") || strings.Contains(step.Instructions, "resend") {
		t.Errorf("after resend, instructions %q: want the code sent by SMS, no other way offered", step.Instructions)
	}
	if srv.Requests("auth.resendCode") != 1 {
		t.Errorf("auth.resendCode asked %d times, want once", srv.Requests("auth.resendCode"))
	}
	wantForm(t, submit(t, p, map[string]string{"code": "resend"}), "code", "no other way")
	if done := submit(t, p, map[string]string{"code": "55555"}).GetComplete(); done == nil || done.LoginId != "1073" {
		t.Errorf("the code: %v, want the login complete", done)
	}
}
