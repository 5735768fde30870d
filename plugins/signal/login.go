package signal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"passerelle.im/passerelle/plugins/signal/rpc"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// DaemonWait is how long a login waits for the daemon's socket to answer
// (a supervised signal-cli takes a few seconds to start Java);
// AdminDaemonWait for a daemon the admin runs, which is there or not.
var (
	DaemonWait      = 30 * time.Second
	AdminDaemonWait = 5 * time.Second
)

// LinkWait is how long one QR code is waited on before a new one is
// shown; signal-cli's own finishLink gives up sooner on a code nobody
// scanned, and then a new code is shown as well.
var LinkWait = 3 * time.Minute

// MaxLinkTries is how many QR codes one login process shows.
const MaxLinkTries = 5

// dialDaemon connects to the daemon and waits until it answers.
func (n *Network) dialDaemon(ctx context.Context, opt rpc.Options) (*rpc.Client, error) {
	c := rpc.Dial(n.socket(), opt)
	wait := DaemonWait
	if n.daemon == nil {
		wait = AdminDaemonWait
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	exited := 0
	if n.daemon != nil {
		exited, _ = n.daemon.failures()
	}
	for {
		select {
		case <-tick.C:
			// A daemon that cannot start, died while waited for, or
			// waits for another signal-cli to free its data folder, is
			// reported now rather than at the timeout.
			if n.daemon == nil {
				continue
			}
			if now, cannot := n.daemon.failures(); !cannot && now == exited && !n.daemon.waitsForLock() {
				continue
			}
		case <-c.Up():
			return c, nil
		case <-wctx.Done():
		}
		c.Close()
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "Signal is not available: %s", n.daemonProblem())
	}
}

// linkProcess links the gateway as a new device of the user's account:
// startLink gives a URI shown as a QR code; finishLink waits until the
// phone scanned it.
type linkProcess struct {
	n   *Network
	req sdk.LoginRequest

	mu    sync.Mutex
	c     *rpc.Client
	uri   string
	tries int
}

var (
	_ sdk.LoginWaiter = (*linkProcess)(nil)
)

func newLinkProcess(n *Network, req sdk.LoginRequest) *linkProcess {
	return &linkProcess{n: n, req: req}
}

const linkInstructions = "On your phone, open Signal, then Settings > Linked devices > Link new device, and scan this QR code."

// Start asks the daemon for a link URI and shows it as a QR code.
func (p *linkProcess) Start(ctx context.Context) (*pb.LoginStep, error) {
	c, err := p.n.dialDaemon(ctx, rpc.Options{})
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.c = c
	p.mu.Unlock()
	return p.newCode(ctx, "")
}

// newCode asks for a new link URI and returns the QR step showing it.
func (p *linkProcess) newCode(ctx context.Context, problem string) (*pb.LoginStep, error) {
	p.mu.Lock()
	c := p.c
	p.tries++
	tries := p.tries
	p.mu.Unlock()
	if tries > MaxLinkTries {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_EXPIRED, "no QR code was scanned after %d tries: start again", MaxLinkTries)
	}
	var res struct {
		DeviceLinkURI string `json:"deviceLinkUri"`
	}
	if err := c.Call(ctx, "startLink", nil, &res); err != nil {
		return nil, callError("could not start linking", err, p.n)
	}
	if !strings.HasPrefix(res.DeviceLinkURI, "sgnl://linkdevice") {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "signal-cli gave no link URI (%q)", res.DeviceLinkURI)
	}
	p.mu.Lock()
	p.uri = res.DeviceLinkURI
	p.mu.Unlock()
	return &pb.LoginStep{Instructions: linkInstructions, Error: problem,
		Step: &pb.LoginStep_Display{Display: &pb.DisplayStep{Type: pb.DisplayType_DISPLAY_TYPE_QR, Data: res.DeviceLinkURI}}}, nil
}

// Wait waits until the code is scanned; a code that expired is replaced
// by a new one.
func (p *linkProcess) Wait(ctx context.Context) (*pb.LoginStep, error) {
	p.mu.Lock()
	c, uri := p.c, p.uri
	p.mu.Unlock()
	if c == nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "the link was cancelled")
	}
	wctx, cancel := context.WithTimeout(ctx, LinkWait)
	defer cancel()
	var res struct {
		Number *string `json:"number"`
		ACI    string  `json:"aci"`
	}
	err := c.Call(wctx, "finishLink", map[string]any{"deviceLinkUri": uri, "deviceName": p.n.cfg.DeviceName}, &res)
	var rerr *rpc.Error
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		return p.newCode(ctx, codeExpired)
	case errors.As(err, &rerr) && rerr.Code == rpc.CodeUserError:
		if number, ok := accountExists(rerr.Message); ok {
			// Every code the phone scans would be refused alike.
			p.Cancel()
			return nil, p.accountExistsError(number)
		}
		// Not scanned in time, or refused: a new code, saying why.
		return p.newCode(ctx, linkRefused(rerr.Message))
	case errors.Is(err, rpc.ErrDisconnected), errors.Is(err, rpc.ErrNotConnected):
		// signal-cli went away while the code waited (it died, or was
		// restarted): it forgot the code, so a new one, from the
		// daemon once it is back.
		if err := p.redial(ctx, c); err != nil {
			return nil, err
		}
		return p.newCode(ctx, codeLost)
	default:
		return nil, callError("linking failed", err, p.n)
	}
	acc := Account{ACI: res.ACI, Linked: true}
	if res.Number != nil {
		acc.Number = *res.Number
	}
	if acc.ID() == "" {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "signal-cli linked an account without a number or ACI")
	}
	p.n.setLinked(acc.ID(), true)
	p.Cancel()
	return completeStep(acc)
}

// codeLost is the new code's error text when signal-cli restarted
// while the last one waited.
const codeLost = "signal-cli restarted before the QR code was scanned, and forgot it: scan this new one."

// redial replaces the process's connection c, whose daemon went away,
// with a new one once the daemon answers again.
func (p *linkProcess) redial(ctx context.Context, c *rpc.Client) error {
	nc, err := p.n.dialDaemon(ctx, rpc.Options{})
	if err != nil {
		return err
	}
	p.mu.Lock()
	if p.c != c {
		// Cancelled meanwhile.
		p.mu.Unlock()
		nc.Close()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "the link was cancelled")
	}
	p.c = nc
	p.mu.Unlock()
	c.Close()
	return nil
}

// codeExpired is the new code's error text when the last was not
// scanned in time.
const codeExpired = "The QR code expired before it was scanned: scan this new one."

// linkRefused is the new code's error text when signal-cli's finishLink
// failed with msg, a user error (FinishLinkCommand) other than an
// account it has already (accountExists): the code expired (signal-cli's
// own timeout), signal-cli no longer knows it (its daemon restarted
// meanwhile), or another refusal, in signal-cli's words.
func linkRefused(msg string) string {
	first, _, _ := strings.Cut(msg, "\n")
	switch low := strings.ToLower(first); {
	case strings.Contains(low, "timed out"):
		return codeExpired
	case strings.Contains(low, "device link uri"):
		return "signal-cli no longer knew the last QR code (it restarted meanwhile), so the scan could not finish: scan this new one."
	}
	return "The link was refused (signal-cli: " + strings.TrimSuffix(first, ".") + "): scan this new QR code to try again."
}

// accountExists reads signal-cli's refusal of a link to an account it
// has already, linked or registered before in its data folder and still
// on Signal (UserAlreadyExistsException: "The user NUMBER already
// exists", then "Delete \"FILE\" before trying again", which is for
// signal-cli's admin): the account's number ("" when not said).
func accountExists(msg string) (number string, ok bool) {
	first, _, _ := strings.Cut(msg, "\n")
	rest, found := strings.CutPrefix(first, "The user ")
	number, _, exists := strings.Cut(rest, " already exists")
	if !found || !exists {
		return "", strings.Contains(strings.ToLower(first), "already exists")
	}
	return strings.TrimSpace(number), true
}

// accountExistsError ends a link signal-cli refused because it has the
// account of number already: scanning again would be refused alike, so
// the user is told what to do instead, the "existing account" login
// when the config gives that account to them.
func (p *linkProcess) accountExistsError(number string) error {
	what := "this Signal account"
	if number != "" {
		what += " (" + number + ")"
	}
	if owner := p.n.cfg.Accounts[number]; number != "" && strings.EqualFold(owner, p.req.UserJID) && !p.n.linked(number) {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_CONFLICT, "signal-cli has %s already, and the gateway gives it to you: log in with the \"existing account\" flow instead.", what)
	}
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_CONFLICT, "signal-cli has %s already: it was linked or registered there before, so it refuses to link it again. Ask the gateway's admin to remove it from signal-cli (or to give it to you for the \"existing account\" login), then log in again.", what)
}

// Cancel ends the process; a finishLink under way is dropped with the
// connection.
func (p *linkProcess) Cancel() {
	p.mu.Lock()
	c := p.c
	p.c = nil
	p.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

func completeStep(acc Account) (*pb.LoginStep, error) {
	state, err := json.Marshal(acc)
	if err != nil {
		return nil, fmt.Errorf("signal: %w", err)
	}
	name := acc.Number
	if name == "" {
		name = "Signal account " + acc.ACI
	}
	return &pb.LoginStep{Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{
		LoginId: acc.ID(), DisplayName: name, SavedState: state}}}, nil
}

// existingProcess logs in to an account signal-cli already has (the admin
// registered or linked it with signal-cli itself), which the config gives
// to this user: signal-cli's accounts are everyone's on its socket, so
// the config says whose each is.
type existingProcess struct {
	n    *Network
	user string
}

var _ sdk.LoginSubmitter = (*existingProcess)(nil)

func existingForm(problem string) *pb.LoginStep {
	return &pb.LoginStep{Instructions: "Use a Signal account that signal-cli already has.", Error: problem,
		Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{
			{Id: "account", Label: "Phone number", Type: pb.FieldType_FIELD_TYPE_PHONE, Required: true,
				Description: "The account's number in international form, such as +33612345678"},
		}}}}
}

func (p *existingProcess) Start(context.Context) (*pb.LoginStep, error) { return existingForm(""), nil }

func (p *existingProcess) Cancel() {}

// Submit checks that signal-cli has the account.
func (p *existingProcess) Submit(ctx context.Context, f map[string]string) (*pb.LoginStep, error) {
	number := normalizeNumber(f["account"])
	if number == "" {
		return existingForm("Give the account's phone number in international form, such as +33612345678."), nil
	}
	if owner := p.n.cfg.Accounts[number]; owner == "" || !strings.EqualFold(owner, p.user) || p.n.linked(number) {
		return existingForm(fmt.Sprintf("%s is not an account of this gateway for you: log in with the QR code, or ask the admin.", number)), nil
	}
	c, err := p.n.dialDaemon(ctx, rpc.Options{})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var accounts []struct {
		Number *string `json:"number"`
		ACI    string  `json:"aci"` // newer signal-cli
	}
	if err := c.Call(ctx, "listAccounts", nil, &accounts); err != nil {
		return nil, callError("could not list signal-cli's accounts", err, p.n)
	}
	for _, a := range accounts {
		if a.Number != nil && *a.Number == number {
			// Its ACI finds it again if its number changes while
			// the plugin is stopped (accountsfile.go).
			aci := a.ACI
			if !isUUID(aci) {
				aci = p.n.storedACI(number)
			}
			// Its messages are named by the number, as before the
			// ACI was asked (msgids.go).
			acc := Account{Number: number, ACI: aci}
			if aci != "" {
				acc.IDNumber = number
			}
			return completeStep(acc)
		}
	}
	return existingForm(fmt.Sprintf("signal-cli has no account %s: link it with the QR code flow, or register it with signal-cli first.", number)), nil
}

// normalizeNumber is a phone number in E.164 ("+" and digits), or "" when
// s is none.
func normalizeNumber(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	if !strings.HasPrefix(s, "+") {
		return ""
	}
	var b strings.Builder
	b.WriteByte('+')
	for _, r := range s[1:] {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return ""
		}
	}
	if b.Len() < 8 || b.Len() > 16 {
		return ""
	}
	return b.String()
}

// callError turns a failed call into a typed error for the user.
func callError(what string, err error, n *Network) error {
	var rerr *rpc.Error
	switch {
	case errors.As(err, &rerr):
		if err := undeliveredError(what, rerr); err != nil {
			return err
		}
		if err := refusal(what, rerr); err != nil {
			return err
		}
		switch rerr.Code {
		case rpc.CodeRateLimit:
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "%s: Signal asks to slow down: %s", what, rerr.Message)
		case rpc.CodeUserError, rpc.CodeInvalidParams:
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%s: %s", what, rerr.Message)
		case rpc.CodeUntrustedKey:
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "%s: a safety number changed (%s): %s, then send again", what, rerr.Message, verifyHint)
		case rpc.CodeMethodNotFound:
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "%s: this signal-cli does not know it: %s", what, rerr.Message)
		}
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s: %s", what, rerr.Message)
	case errors.Is(err, rpc.ErrDisconnected):
		// Asked, and gone before it answered: signal-cli may have
		// carried it out, and a send again would then go twice.
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s: signal-cli went away before it answered, so it may have gone through all the same (%s)", what, n.daemonProblem())
	case errors.Is(err, rpc.ErrNotConnected), errors.Is(err, rpc.ErrClosed):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s: Signal is not available: %s", what, n.daemonProblem())
	case errors.Is(err, context.DeadlineExceeded):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s: signal-cli did not answer in time, so it may have gone through all the same", what)
	}
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s: %v", what, err)
}
