package telegram

import (
	"context"
	"fmt"

	"github.com/gotd/td/telegram/auth"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
)

// emailSetUpRequired answers a number whose account Telegram wants a
// login e-mail for before a new device logs in; the gateway cannot set
// one up.
const emailSetUpRequired = "Telegram wants this account to have a login e-mail before it logs in on a new device: set one in a Telegram app (Settings, Privacy and Security, Login Email), then log in here again."

// codeWhere says where Telegram sent the login code, as its answer to
// auth.sendCode tells: the user looks there, not in their SMS for a code
// that went to their e-mail or comes as a call.
func codeWhere(via tg.AuthSentCodeTypeClass) string {
	digits := func(n int) string {
		if n > 0 {
			return fmt.Sprintf(" (%d digits)", n)
		}
		return ""
	}
	switch v := via.(type) {
	case *tg.AuthSentCodeTypeApp:
		return "Telegram sent the code to your Telegram app on your other devices, in the chat named Telegram" + digits(v.Length) + ": type it here."
	case *tg.AuthSentCodeTypeSMS:
		return "Telegram sent the code by SMS" + digits(v.Length) + ": type it here."
	case *tg.AuthSentCodeTypeSMSWord:
		return "Telegram sent you a word by SMS: type it here."
	case *tg.AuthSentCodeTypeSMSPhrase:
		return "Telegram sent you a phrase by SMS: type it here."
	case *tg.AuthSentCodeTypeCall:
		return "Telegram calls you and reads the code" + digits(v.Length) + ": type it here."
	case *tg.AuthSentCodeTypeFlashCall:
		return "Telegram calls you and hangs up: type the number that called you."
	case *tg.AuthSentCodeTypeMissedCall:
		return fmt.Sprintf("Telegram calls you from a number starting with %s and hangs up: type its last %d digits.", v.Prefix, v.Length)
	case *tg.AuthSentCodeTypeEmailCode:
		return "Telegram sent the code to your login e-mail, " + v.EmailPattern + digits(v.Length) + ": type it here."
	case *tg.AuthSentCodeTypeFragmentSMS:
		return "Telegram sent the code to your anonymous number, on Fragment (" + v.URL + ")" + digits(v.Length) + ": type it here."
	}
	return "Type the code Telegram sent you (in the Telegram app, or by SMS)."
}

// signIn sends the code the way Telegram sent it: a code mailed to the
// login e-mail goes as email_verification, which Telegram wants it in,
// not as phone_code (gotd's SignIn sends only that).
func (p *phoneLogin) signIn(ctx context.Context, code string) error {
	if _, ok := p.via.(*tg.AuthSentCodeTypeEmailCode); !ok {
		_, err := p.r.client.Auth().SignIn(ctx, p.phone, code, p.hash)
		return err
	}
	req := &tg.AuthSignInRequest{PhoneNumber: p.phone, PhoneCodeHash: p.hash}
	req.SetEmailVerification(&tg.EmailVerificationCode{Code: code})
	a, err := p.r.client.API().AuthSignIn(ctx, req)
	switch {
	case tgerr.Is(err, "SESSION_PASSWORD_NEEDED"):
		return auth.ErrPasswordAuthNeeded
	case err != nil:
		return fmt.Errorf("sign in: %w", err)
	}
	if su, ok := a.(*tg.AuthAuthorizationSignUpRequired); ok {
		return &auth.SignUpRequired{TermsOfService: su.TermsOfService}
	}
	return nil
}

// codeWrong asks for the code again after Telegram refused it.
func codeWrong(err error) string {
	name := "PHONE_CODE_INVALID"
	if tgerr.Is(err, "EMAIL_CODE_INVALID") {
		name = "EMAIL_CODE_INVALID"
	}
	return "That code is wrong (" + name + "): type it again."
}

// resendWord, typed as the code, asks Telegram to send it another way
// (auth.resendCode): a code sent to the Telegram app of a device the user
// does not have at hand comes by SMS.
const resendWord = "resend"

// resendHint says how to have the code sent another way, when Telegram
// offers one (next_type).
func resendHint(next tg.AuthCodeTypeClass) string {
	way := ""
	switch next.(type) {
	case *tg.AuthCodeTypeSMS:
		way = "by SMS"
	case *tg.AuthCodeTypeCall:
		way = "by a phone call"
	case *tg.AuthCodeTypeFlashCall, *tg.AuthCodeTypeMissedCall:
		way = "by a call"
	case *tg.AuthCodeTypeFragmentSMS:
		way = "to your Fragment number"
	default:
		return ""
	}
	return " No code? Type " + resendWord + " to have it sent " + way + "."
}

// resend asks Telegram to send the code the next way it offered.
func (p *phoneLogin) resend(ctx context.Context) (*pb.LoginStep, error) {
	if p.next == nil {
		return p.codeForm("Telegram offers no other way to send the code: type the one it sent."), nil
	}
	sent, err := p.r.client.API().AuthResendCode(ctx, &tg.AuthResendCodeRequest{PhoneNumber: p.phone, PhoneCodeHash: p.hash})
	switch {
	case tgerr.Is(err, "PHONE_CODE_EXPIRED"):
		p.stage = "phone"
		return p.phoneForm("The code expired (PHONE_CODE_EXPIRED): ask for a new one."), nil
	case tgerr.Is(err, "SEND_CODE_UNAVAILABLE"):
		p.next = nil
		return p.codeForm("Telegram has no other way left to send the code (SEND_CODE_UNAVAILABLE): type the one it sent."), nil
	case err != nil:
		return p.codeForm(loginProblem("Telegram did not send the code again", err)), nil
	}
	s, ok := sent.(*tg.AuthSentCode)
	if !ok {
		return p.codeForm(fmt.Sprintf("Telegram answered with %T, which this gateway does not handle.", sent)), nil
	}
	p.hash, p.via, p.next = s.PhoneCodeHash, s.Type, s.NextType
	return p.codeForm(""), nil
}
