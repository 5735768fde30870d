package telegram

import (
	"context"
	"errors"
	"strings"

	"github.com/gotd/td/telegram/auth"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
)

// forgotWord, typed as the password, asks Telegram to mail a recovery
// code to the account's recovery e-mail (auth.requestPasswordRecovery).
const forgotWord = "forgot"

// noRecovery is the answer to a forgotten password of an account without
// a recovery e-mail: only Telegram's apps can help then.
const noRecovery = "This account has no recovery e-mail, so the gateway cannot reset its password. " +
	"In a Telegram app where you are logged in, Settings, Privacy and Security, Two-Step Verification changes it " +
	"(or resets it, which Telegram does after 7 days); then log in here again."

// twoStep is the two-step verification stage of a login (the phone
// number's and the QR code's): the password, or, when the user forgot
// it, the code Telegram mailed to the recovery e-mail.
type twoStep struct {
	hint     string
	recovery bool   // the account has a recovery e-mail
	pattern  string // its masked address, once a code was mailed ("": none yet)
}

// start reads the account's password settings (its hint, whether it has
// a recovery e-mail) and asks for the password.
func (w *twoStep) start(ctx context.Context, r *runner) *pb.LoginStep {
	if pw, err := r.client.API().AccountGetPassword(ctx); err == nil {
		w.hint, w.recovery = pw.Hint, pw.HasRecovery
	}
	return w.passwordForm("")
}

func (w *twoStep) passwordForm(errText string) *pb.LoginStep {
	desc := "Your Telegram cloud password (two-step verification)."
	if w.hint != "" {
		desc += " Hint: " + w.hint
	}
	if w.recovery {
		desc += " Forgot it? Type " + forgotWord + ": Telegram mails a code to your recovery e-mail."
	} else {
		desc += " Forgot it? Type " + forgotWord + " to see what to do."
	}
	return &pb.LoginStep{
		Instructions: "This account has two-step verification: type its password.",
		Error:        errText,
		Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{
			{Id: "password", Label: "Password", Type: pb.FieldType_FIELD_TYPE_PASSWORD, Required: true, Description: desc},
		}}},
	}
}

func (w *twoStep) recoveryForm(errText string) *pb.LoginStep {
	return &pb.LoginStep{
		Instructions: "Telegram mailed a code to your recovery e-mail, " + w.pattern + ": type it. " +
			"Telegram then turns two-step verification off: set a new password in a Telegram app " +
			"(Settings, Privacy and Security, Two-Step Verification). Type " + forgotWord + " for a new code.",
		Error: errText,
		Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{
			{Id: "recovery_code", Label: "Recovery code", Type: pb.FieldType_FIELD_TYPE_CODE, Required: true},
		}}},
	}
}

// submit takes the password (or the recovery code) from f: nil once the
// client is logged in, else the step to show.
func (w *twoStep) submit(ctx context.Context, r *runner, f map[string]string) *pb.LoginStep {
	if w.pattern != "" {
		return w.submitRecovery(ctx, r, f)
	}
	pw := f["password"]
	if pw == "" {
		return w.passwordForm("Type the password.")
	}
	// Tried first: "forgot" may be the password itself.
	_, err := r.client.Auth().Password(ctx, pw)
	switch {
	case errors.Is(err, auth.ErrPasswordInvalid) && strings.EqualFold(strings.TrimSpace(pw), forgotWord):
		return w.forgot(ctx, r)
	case errors.Is(err, auth.ErrPasswordInvalid):
		return w.passwordForm("That password is wrong: type it again.")
	case err != nil:
		return w.passwordForm(loginProblem("Telegram refused the password", err))
	}
	return nil
}

// forgot has Telegram mail a recovery code, when the account has a
// recovery e-mail.
func (w *twoStep) forgot(ctx context.Context, r *runner) *pb.LoginStep {
	if !w.recovery {
		return w.passwordForm(noRecovery)
	}
	rec, err := r.client.Auth().RequestPasswordRecovery(ctx)
	switch {
	case tgerr.Is(err, "PASSWORD_RECOVERY_NA", "PASSWORD_EMPTY"):
		w.recovery = false
		return w.passwordForm(noRecovery)
	case err != nil:
		if w.pattern != "" {
			return w.recoveryForm(loginProblem("Telegram did not mail a new code", err))
		}
		return w.passwordForm(loginProblem("Telegram did not mail a recovery code", err))
	}
	w.pattern = rec.EmailPattern
	if w.pattern == "" {
		w.pattern = "as Telegram has it"
	}
	return w.recoveryForm("")
}

func (w *twoStep) submitRecovery(ctx context.Context, r *runner, f map[string]string) *pb.LoginStep {
	code := strings.TrimSpace(f["recovery_code"])
	switch {
	case code == "":
		return w.recoveryForm("Type the code.")
	case strings.EqualFold(code, forgotWord):
		return w.forgot(ctx, r)
	}
	_, err := r.client.Auth().RecoverPassword(ctx, auth.RecoverPasswordOptions{Code: code})
	switch {
	case tgerr.Is(err, "CODE_INVALID", "PASSWORD_RECOVERY_CODE_INVALID"):
		return w.recoveryForm("That code is wrong: type it again (" + tgErrType(err) + ").")
	case tgerr.Is(err, "PASSWORD_RECOVERY_EXPIRED"):
		return w.recoveryForm("The code expired (PASSWORD_RECOVERY_EXPIRED): type " + forgotWord + " for a new one.")
	case err != nil:
		return w.recoveryForm(loginProblem("Telegram refused the code", err))
	}
	return nil
}

// tgErrType is an RPC error's type (CODE_INVALID), "" for another error.
func tgErrType(err error) string {
	if e, ok := tgerr.As(err); ok {
		return e.Type
	}
	return ""
}
