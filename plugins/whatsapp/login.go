package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// pairCodeWait is how long a pairing code may wait to be typed on the
// phone before the process asks again: WhatsApp closes the login
// connection after 160 seconds, and the code with it.
var pairCodeWait = newSetting(160 * time.Second)

// loginProcess is one login in progress: a QR code shown until scanned,
// or a phone number asked and a pairing code shown until typed on the
// phone. Its device lives in the login's folder from the first step on.
type loginProcess struct {
	n    *Network
	req  sdk.LoginRequest
	flow string

	mu     sync.Mutex
	d      *device
	qr     <-chan whatsmeow.QRChannelItem
	paired chan error // PairSuccess (nil) or PairError
	// refused is the code of a refusal of the connection (ConnectFailure),
	// which ends the QR codes with no word of why.
	refused events.ConnectFailureReason
	hookID  uint32
	done    bool // completed or cancelled: the device is not ours
	ctx     context.Context
	cancel  context.CancelFunc
}

var (
	_ sdk.LoginSubmitter = (*loginProcess)(nil)
	_ sdk.LoginWaiter    = (*loginProcess)(nil)
)

// Start shows the first QR code, or asks for the phone number.
func (p *loginProcess) Start(ctx context.Context) (*pb.LoginStep, error) {
	if p.flow == flowPhone {
		return phoneForm(""), nil
	}
	return p.startQR(ctx)
}

// startQR opens the device, asks for QR codes, connects and shows the
// first code.
func (p *loginProcess) startQR(ctx context.Context) (*pb.LoginStep, error) {
	if err := p.open(ctx); err != nil {
		return nil, err
	}
	p.mu.Lock()
	cli := p.d.cli
	pctx := p.ctx
	p.mu.Unlock()
	qr, err := cli.GetQRChannel(pctx)
	if err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: no QR codes: %v", err)
	}
	p.mu.Lock()
	p.qr = qr
	p.mu.Unlock()
	if err := cli.Connect(); err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: cannot reach WhatsApp: %v", err)
	}
	return p.Wait(ctx)
}

// open makes the process's new device in the login's folder, once.
func (p *loginProcess) open(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: this login was cancelled")
	}
	if p.d != nil {
		// Again (new QR codes, another number): a new client on the
		// same unpaired device.
		p.d.cli.Disconnect()
		p.d.cli = p.n.newClient(p.d.dev, slogWA(p.n.log, "login"))
		p.hook()
		return nil
	}
	c, err := openContainer(ctx, p.req.Dir, slogWA(p.n.log, "login-store"))
	if err != nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%v", err)
	}
	dev := c.NewDevice()
	p.d = &device{container: c, dev: dev, cli: p.n.newClient(dev, slogWA(p.n.log, "login"))}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.hook()
	return nil
}

// hook listens for the pairing's outcome (the phone-code flow has no QR
// channel to say it). Called with p.mu held.
func (p *loginProcess) hook() {
	paired := make(chan error, 1)
	p.paired = paired
	p.hookID = p.d.cli.AddEventHandler(func(evt any) {
		switch e := evt.(type) {
		case *events.PairSuccess:
			select {
			case paired <- nil:
			default:
			}
		case *events.PairError:
			select {
			case paired <- e.Error:
			default:
			}
		case *events.ConnectFailure:
			p.mu.Lock()
			p.refused = e.Reason
			p.mu.Unlock()
		}
	})
}

// Submit takes the phone number (phone flow), or a request for new QR
// codes after they ran out.
func (p *loginProcess) Submit(ctx context.Context, f map[string]string) (*pb.LoginStep, error) {
	if p.flow == flowQR {
		return p.startQR(ctx)
	}
	phone := normalizePhone(f["phone"])
	if phone == "" {
		return phoneForm("That is not a phone number: type it with its country code, such as +33612345678."), nil
	}
	// The connection first, as for a QR code: WhatsApp's first code
	// says the login connection is up, and its running out (after 160
	// seconds) that the pairing code expired too.
	if err := p.open(ctx); err != nil {
		return nil, err
	}
	p.mu.Lock()
	cli, pctx := p.d.cli, p.ctx
	p.mu.Unlock()
	qr, err := cli.GetQRChannel(pctx)
	if err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: cannot start pairing: %v", err)
	}
	p.mu.Lock()
	p.qr = qr
	p.mu.Unlock()
	if err := cli.Connect(); err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: cannot reach WhatsApp: %v", err)
	}
	select {
	case item, ok := <-qr:
		if !ok || item.Event != whatsmeow.QRChannelEventCode {
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: the login connection ended (%s)", item.Event)
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	code, err := cli.PairPhone(ctx, phone, true, whatsmeow.PairClientChrome, pairClientName)
	if err != nil {
		if errors.Is(err, whatsmeow.ErrPhoneNumberTooShort) || errors.Is(err, whatsmeow.ErrPhoneNumberIsNotInternational) {
			return phoneForm("WhatsApp does not take that number: type it with its country code, such as +33612345678."), nil
		}
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: no pairing code: %v", err)
	}
	return &pb.LoginStep{
		Instructions: "On your phone, open WhatsApp: Settings, Linked devices, Link a device, then \"Link with phone number instead\", and type this code.",
		Step:         &pb.LoginStep_Display{Display: &pb.DisplayStep{Type: pb.DisplayType_DISPLAY_TYPE_CODE, Data: code}},
	}, nil
}

// Wait gives the next QR code, or the completed login once the phone
// paired; when the codes run out, a form to ask for new ones.
func (p *loginProcess) Wait(ctx context.Context) (*pb.LoginStep, error) {
	p.mu.Lock()
	qr, paired, d := p.qr, p.paired, p.d
	p.mu.Unlock()
	if d == nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: nothing to wait for yet")
	}
	if p.flow == flowPhone {
		t := time.NewTimer(pairCodeWait.get())
		defer t.Stop()
		for {
			select {
			case err := <-paired:
				if err != nil {
					return phoneForm("The pairing failed: " + err.Error() + ". Try again."), nil
				}
				return p.complete()
			case item, ok := <-qr:
				switch {
				case ok && item.Event == whatsmeow.QRChannelEventCode:
					continue // QR codes go on meanwhile: not shown
				case ok && item.Event == whatsmeow.QRChannelSuccess.Event:
					return p.complete()
				case ok && item.Event == whatsmeow.QRChannelClientOutdated.Event:
					return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s", clientOutdatedText)
				}
				return phoneForm("The code was not typed in time. Send your number again for a new code."), nil
			case <-t.C:
				return phoneForm("The code was not typed in time. Send your number again for a new code."), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	select {
	case item, ok := <-qr:
		if !ok {
			return retryForm("The QR codes ran out before one was scanned."), nil
		}
		switch item.Event {
		case whatsmeow.QRChannelEventCode:
			return &pb.LoginStep{
				Instructions: "Scan this QR code with WhatsApp on your phone: Settings, Linked devices, Link a device. It changes every 20 seconds or so.",
				Step:         &pb.LoginStep_Display{Display: &pb.DisplayStep{Type: pb.DisplayType_DISPLAY_TYPE_QR, Data: item.Code}},
			}, nil
		case whatsmeow.QRChannelSuccess.Event:
			return p.complete()
		case whatsmeow.QRChannelTimeout.Event:
			return retryForm("No QR code was scanned in time."), nil
		case whatsmeow.QRChannelClientOutdated.Event:
			if p.n.tryNewerVersion(ctx) {
				return retryForm("WhatsApp refused this client version; the gateway now announces WhatsApp Web's current one: try again."), nil
			}
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s", clientOutdatedText)
		case whatsmeow.QRChannelErrUnexpectedEvent.Event:
			p.mu.Lock()
			refused := p.refused
			p.mu.Unlock()
			if refused == events.ConnectFailureBadUserAgent {
				// As ClientOutdated (Session.clientRefused): a newer
				// version, once, else a newer gateway.
				if p.n.tryNewerVersion(ctx) {
					return retryForm("WhatsApp refused this client (409); the gateway now announces WhatsApp Web's current version: try again."), nil
				}
				return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s", userAgentText+updateText)
			}
			if refused != 0 {
				return retryForm("WhatsApp refused the connection (" + refused.String() + ")."), nil
			}
			return retryForm("The pairing stopped (" + item.Event + ")."), nil
		case whatsmeow.QRChannelScannedWithoutMultidevice.Event:
			return retryForm("The phone scanned the code without multi-device: update WhatsApp on the phone."), nil
		case whatsmeow.QRChannelEventError:
			return retryForm("The pairing failed: " + errText(item.Error) + "."), nil
		default:
			return retryForm("The pairing stopped (" + item.Event + ")."), nil
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// historyOnItsWay is the completed login's instructions, shown after
// "You are logged in": the phone sends the chats' history over the next
// minutes (history.go), the gateway's status showing how far it is.
const historyOnItsWay = "Your chats' history is on its way from your phone: it shows here as it arrives, and my status says how far it is."

// complete ends a paired login: the device goes to the login's session.
func (p *loginProcess) complete() (*pb.LoginStep, error) {
	p.mu.Lock()
	d := p.d
	p.done = true
	d.hold() // until the session's handler takes over
	d.cli.RemoveEventHandler(p.hookID)
	p.mu.Unlock()
	if d.dev.ID == nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: the phone paired but the device has no ID")
	}
	id := loginIDOf(d.dev.ID.User)
	state, err := json.Marshal(savedState{JID: d.dev.ID.ToNonAD().String()})
	if err != nil {
		return nil, errf("%w", err)
	}
	name := d.dev.PushName
	if name == "" {
		name = id
	} else {
		name += " (" + id + ")"
	}
	p.n.handOver(id, d)
	step := &pb.LoginStep{Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{LoginId: id, DisplayName: name, SavedState: state}}}
	if p.n.historyDays() > 0 {
		step.Instructions = historyOnItsWay
	}
	return step, nil
}

// Cancel gives up: the connection and the database close (the host
// removes the folder).
func (p *loginProcess) Cancel() {
	p.mu.Lock()
	d, done, cancel := p.d, p.done, p.cancel
	p.done = true
	p.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if !done {
		d.close()
	}
}

func phoneForm(errText string) *pb.LoginStep {
	return &pb.LoginStep{
		Instructions: "Log in to WhatsApp with a pairing code instead of a QR code.",
		Error:        errText,
		Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{{
			Id: "phone", Label: "Phone number", Type: pb.FieldType_FIELD_TYPE_PHONE, Required: true,
			Description: "Your WhatsApp number with its country code, such as +33612345678.",
		}}}},
	}
}

// retryForm says why the QR codes stopped and offers new ones.
func retryForm(why string) *pb.LoginStep {
	return &pb.LoginStep{
		Instructions: "Send this form to get new QR codes.",
		Error:        why,
		Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{{
			Id: "retry", Label: "New QR codes", Type: pb.FieldType_FIELD_TYPE_BOOLEAN, DefaultValue: "true",
		}}}},
	}
}

func errText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}
