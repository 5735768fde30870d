package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/gotd/td/telegram/auth"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// saved is a login's saved state: who the account is and which
// application it logged in with, when the user brought their own. The
// authorization key is in the login's folder (sessionFile), never here.
type saved struct {
	UserID int64 `json:"user_id"`
	App    *app  `json:"app,omitempty"`
	Bot    bool  `json:"bot,omitempty"`
}

func parseSaved(b []byte) (saved, error) {
	var s saved
	if len(b) == 0 {
		return s, errors.New("empty")
	}
	return s, json.Unmarshal(b, &s)
}

// appFor is the application of a login: the user's own, or the
// transport's.
func (n *Network) appFor(s saved) app {
	if s.App != nil {
		return *s.App
	}
	return app{ID: n.cfg.APIID, Hash: n.cfg.APIHash}
}

// appFields are the form fields for a user's own application: required
// when the transport has none.
func (n *Network) appFields() []*pb.FormField {
	need := n.cfg.APIID == 0
	desc := "Optional: your own application's api_id, from my.telegram.org (the gateway's is used otherwise)."
	if need {
		desc = "This gateway has no Telegram application: give your own api_id from my.telegram.org, API development tools."
	}
	return []*pb.FormField{
		{Id: "api_id", Label: "api_id", Type: pb.FieldType_FIELD_TYPE_TEXT, Required: need, Description: desc},
		{Id: "api_hash", Label: "api_hash", Type: pb.FieldType_FIELD_TYPE_PASSWORD, Required: need, Description: "The api_hash that goes with the api_id."},
	}
}

// readApp reads the application fields; own is set when the user gave
// theirs. problem says what is wrong.
func (n *Network) readApp(f map[string]string) (a app, own bool, problem string) {
	id, hash := strings.TrimSpace(f["api_id"]), strings.TrimSpace(f["api_hash"])
	switch {
	case id == "" && hash == "":
		if n.cfg.APIID == 0 {
			return a, false, "This gateway has no Telegram application (api_id, api_hash): give your own."
		}
		return app{ID: n.cfg.APIID, Hash: n.cfg.APIHash}, false, ""
	case id == "" || hash == "":
		return a, false, "api_id and api_hash go together: give both, or neither."
	}
	v, err := strconv.Atoi(id)
	if err != nil || v <= 0 {
		return a, false, "api_id is a number (my.telegram.org, API development tools)."
	}
	return app{ID: v, Hash: hash}, true, ""
}

// normalPhone keeps a phone number's digits, with its leading +.
func normalPhone(s string) (string, bool) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	d := b.String()
	if len(d) < 5 || len(d) > 15 {
		return "", false
	}
	return "+" + d, true
}

// phoneLogin is the phone number flow: phone, code, then the 2FA
// password when the account has one (the steps of gotd's auth.Flow, one
// form each, so a wrong code or password is asked again).
type phoneLogin struct {
	n   *Network
	req sdk.LoginRequest

	mu     sync.Mutex
	stage  string // "phone", "code", "password"
	r      *runner
	app    app
	own    bool
	phone  string
	hash   string                   // phone_code_hash
	pw     twoStep                  // loginpassword.go
	via    tg.AuthSentCodeTypeClass // where Telegram sent the code
	next   tg.AuthCodeTypeClass     // how it can send it again (nil: no other way)
	closed bool
}

var (
	_ sdk.LoginSubmitter = (*phoneLogin)(nil)
)

func newPhoneLogin(n *Network, req sdk.LoginRequest) *phoneLogin {
	return &phoneLogin{n: n, req: req, stage: "phone"}
}

func (p *phoneLogin) phoneForm(errText string) *pb.LoginStep {
	fields := append([]*pb.FormField{{Id: "phone", Label: "Phone number", Type: pb.FieldType_FIELD_TYPE_PHONE, Required: true, Description: "In international form, such as +33612345678"}}, p.n.appFields()...)
	return &pb.LoginStep{
		Instructions: "Log in to Telegram with your phone number. Telegram then sends you a code, in the Telegram app or by SMS.",
		Error:        errText,
		Step:         &pb.LoginStep_Form{Form: &pb.FormStep{Fields: fields}},
	}
}

func (p *phoneLogin) codeForm(errText string) *pb.LoginStep {
	return &pb.LoginStep{
		Instructions: codeWhere(p.via) + resendHint(p.next),
		Error:        errText,
		Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{
			{Id: "code", Label: "Code", Type: pb.FieldType_FIELD_TYPE_CODE, Required: true},
		}}},
	}
}

// Start asks for the phone number.
func (p *phoneLogin) Start(context.Context) (*pb.LoginStep, error) { return p.phoneForm(""), nil }

// Cancel stops the client.
func (p *phoneLogin) Cancel() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.r.stop()
	p.r = nil
}

// Submit takes the form of the current stage.
func (p *phoneLogin) Submit(ctx context.Context, f map[string]string) (*pb.LoginStep, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errLoginCancelled
	}
	switch p.stage {
	case "phone":
		return p.submitPhone(ctx, f)
	case "code":
		return p.submitCode(ctx, f)
	default:
		return p.submitPassword(ctx, f)
	}
}

// connect starts the login's client with the application a, once.
func (p *phoneLogin) connect(ctx context.Context, a app) error {
	if p.r != nil && p.app == a {
		return nil
	}
	p.r.stop()
	r, err := startRunner(ctx, p.n.newClient(a, p.req.Dir, nil, nil), nil)
	if err != nil {
		return err
	}
	p.r, p.app = r, a
	return nil
}

func (p *phoneLogin) submitPhone(ctx context.Context, f map[string]string) (*pb.LoginStep, error) {
	phone, ok := normalPhone(f["phone"])
	if !ok {
		return p.phoneForm("That is no phone number: write it in international form, such as +33612345678."), nil
	}
	a, own, problem := p.n.readApp(f)
	if problem != "" {
		return p.phoneForm(problem), nil
	}
	if err := p.connect(ctx, a); err != nil {
		return p.phoneForm(loginProblem("Telegram cannot be reached", err)), nil
	}
	p.own = own
	sent, err := p.r.client.Auth().SendCode(ctx, phone, auth.SendCodeOptions{})
	switch {
	case tgerr.Is(err, "PHONE_NUMBER_INVALID"):
		return p.phoneForm("Telegram says this phone number is invalid (PHONE_NUMBER_INVALID)."), nil
	case err != nil:
		return p.phoneForm(loginProblem("Telegram refused to send a code", err)), nil
	}
	switch s := sent.(type) {
	case *tg.AuthSentCode:
		if _, ok := s.Type.(*tg.AuthSentCodeTypeSetUpEmailRequired); ok {
			return p.phoneForm(emailSetUpRequired), nil
		}
		p.phone, p.hash, p.via, p.next, p.stage = phone, s.PhoneCodeHash, s.Type, s.NextType, "code"
		return p.codeForm(""), nil
	case *tg.AuthSentCodeSuccess:
		if _, ok := s.Authorization.(*tg.AuthAuthorizationSignUpRequired); ok {
			return p.phoneForm(signUpRefused), nil
		}
		return p.complete(ctx)
	}
	return p.phoneForm(fmt.Sprintf("Telegram answered with %T, which this gateway does not handle.", sent)), nil
}

// signUpRefused is the answer to a number without an account.
const signUpRefused = "This phone number has no Telegram account, and the gateway does not create accounts: sign up in a Telegram app first, then log in here."

func (p *phoneLogin) submitCode(ctx context.Context, f map[string]string) (*pb.LoginStep, error) {
	code := strings.TrimSpace(f["code"])
	if code == "" {
		return p.codeForm("Type the code."), nil
	}
	if strings.EqualFold(code, resendWord) {
		return p.resend(ctx)
	}
	err := p.signIn(ctx, code)
	var signUp *auth.SignUpRequired
	switch {
	case errors.Is(err, auth.ErrPasswordAuthNeeded):
		p.stage = "password"
		return p.pw.start(ctx, p.r), nil
	case errors.As(err, &signUp):
		p.stage = "phone"
		return p.phoneForm(signUpRefused), nil
	case tgerr.Is(err, "PHONE_CODE_INVALID", "EMAIL_CODE_INVALID"):
		return p.codeForm(codeWrong(err)), nil
	case tgerr.Is(err, "PHONE_CODE_EXPIRED"):
		p.stage = "phone"
		return p.phoneForm("The code expired (PHONE_CODE_EXPIRED): ask for a new one."), nil
	case err != nil:
		return p.codeForm(loginProblem("Telegram refused the code", err)), nil
	}
	return p.complete(ctx)
}

func (p *phoneLogin) submitPassword(ctx context.Context, f map[string]string) (*pb.LoginStep, error) {
	if step := p.pw.submit(ctx, p.r, f); step != nil {
		return step, nil
	}
	return p.complete(ctx)
}

// complete ends the login once the client is authorized.
func (p *phoneLogin) complete(ctx context.Context) (*pb.LoginStep, error) {
	step, err := completeLogin(ctx, p.r, p.app, p.own)
	p.r.stop()
	p.r = nil
	p.closed = true
	return step, err
}

// completeLogin is the last step of every user login: who the account is.
func completeLogin(ctx context.Context, r *runner, a app, own bool) (*pb.LoginStep, error) {
	self, err := r.client.Self(ctx)
	if err != nil {
		return nil, cmdErr("who am I", err)
	}
	st := saved{UserID: self.ID}
	if own {
		st.App = &a
	}
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	return &pb.LoginStep{Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{
		LoginId: userID(self.ID), DisplayName: displayName(self), SavedState: b,
	}}}, nil
}

// loginProblem says what went wrong, in the words of refusal when
// Telegram refused the client or the account.
func loginProblem(what string, err error) string {
	if r := refusal(err); r != "" {
		return r
	}
	return what + ": " + err.Error()
}

// displayName is how a user reads: first and last name, or @username, or
// the phone number.
func displayName(u *tg.User) string {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	switch {
	case name != "":
		return name
	case u.Username != "":
		return "@" + u.Username
	case u.Phone != "":
		return "+" + u.Phone
	}
	return userID(u.ID)
}
