// Command fakeplugin is the WhatsApp plugin with its clients faked by the
// remote fake (wafake): WhatsApp's side is a wafake.Server in the test
// process, whose socket the transport's config names in "wafake_socket"
// (the gateway passes a plugin almost none of its environment). It
// exists for tests through the gateway; it never dials out.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"

	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	waLog "go.mau.fi/whatsmeow/util/log"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// network is the WhatsApp network with the fake's config key taken out.
type network struct {
	*whatsapp.Network
	made    *wafake.Made
	dataDir *string
	kit     *bool // wafake_kit: the conformance kit drives the logins
}

func (n network) Init(ctx context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	var cfg map[string]any
	if len(req.ConfigJSON) > 0 {
		if err := json.Unmarshal(req.ConfigJSON, &cfg); err != nil {
			return nil, err
		}
	}
	sock, _ := cfg["wafake_socket"].(string)
	if sock == "" {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "fakeplugin: the config must name the test's wafake server in wafake_socket")
	}
	*n.kit, _ = cfg["wafake_kit"].(bool)
	delete(cfg, "wafake_socket")
	delete(cfg, "wafake_kit")
	rest, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	req.ConfigJSON = rest
	*n.dataDir = req.DataDir
	wafake.StartAgent(n.made, sock)
	return n.Network.Init(ctx, req, host)
}

func main() {
	made := wafake.NewMade()
	wa := whatsapp.NewWithClient(func(dev *store.Device, log waLog.Logger) whatsapp.Client {
		return made.New(dev, log)
	})
	wa.SetVersionLookup(nil) // never WhatsApp Web
	wa.SetFetch(func(context.Context, string) ([]byte, error) {
		return nil, errors.New("fakeplugin: avatars are not downloaded")
	})
	sdk.Serve[*whatsapp.Session](network{Network: wa, made: made, dataDir: new(string), kit: new(bool)})
}

// The conformance kit (plugintest) logs in with one form: a login by
// pairing code whose code the kit cannot type. In kit mode (wafake_kit in
// the config) the fake logs in by phone number, "types" the code itself
// and completes in the one step the kit expects. Its folder is the one
// the kit gives, else one of its own per number.

func (n network) kitDir(phoneDigits string) string {
	return filepath.Join(*n.dataDir, "kit-logins", phoneDigits)
}

func (n network) StartLogin(ctx context.Context, req sdk.LoginRequest) (sdk.LoginProcess, error) {
	if !*n.kit {
		return n.Network.StartLogin(ctx, req)
	}
	return &kitLogin{n: n, req: req}, nil
}

func (n network) LoadLogin(ctx context.Context, login sdk.LoginInfo) (*whatsapp.Session, error) {
	if *n.kit && login.Dir == "" && strings.HasPrefix(login.LoginID, "+") {
		login.Dir = n.kitDir(login.LoginID[1:])
	}
	return n.Network.LoadLogin(ctx, login)
}

type kitLogin struct {
	n     network
	req   sdk.LoginRequest
	inner sdk.LoginProcess
}

func (k *kitLogin) Start(context.Context) (*pb.LoginStep, error) {
	return &pb.LoginStep{Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{
		{Id: "phone", Label: "Phone number", Type: pb.FieldType_FIELD_TYPE_PHONE, Required: true},
	}}}}, nil
}

func (k *kitLogin) Submit(ctx context.Context, f map[string]string) (*pb.LoginStep, error) {
	digits := strings.TrimPrefix(strings.TrimSpace(f["phone"]), "+")
	req := k.req
	req.FlowID = "phone"
	switch {
	case req.Dir != "":
	case digits != "":
		req.Dir = k.n.kitDir(digits)
	default:
		req.Dir = filepath.Join(*k.n.dataDir, "kit-logins", "unknown")
	}
	if k.inner != nil {
		k.inner.Cancel()
	}
	inner, err := k.n.Network.StartLogin(ctx, req)
	if err != nil {
		return nil, err
	}
	k.inner = inner
	if _, err := inner.Start(ctx); err != nil {
		return nil, err
	}
	step, err := inner.(sdk.LoginSubmitter).Submit(ctx, f)
	if err != nil || step.GetDisplay() == nil {
		return step, err
	}
	all := k.n.made.All()
	fake := all[len(all)-1]
	jid := types.NewJID(fake.PairedPhone(), types.DefaultUserServer)
	go fake.Scan(context.WithoutCancel(ctx), jid, "")
	return inner.(sdk.LoginWaiter).Wait(ctx)
}

func (k *kitLogin) Cancel() {
	if k.inner != nil {
		k.inner.Cancel()
	}
}
