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

	"go.mau.fi/whatsmeow/store"
	waLog "go.mau.fi/whatsmeow/util/log"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// network is the WhatsApp network with the fake's config key taken out.
type network struct {
	*whatsapp.Network
	made *wafake.Made
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
	delete(cfg, "wafake_socket")
	rest, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	req.ConfigJSON = rest
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
	sdk.Serve[*whatsapp.Session](network{Network: wa, made: made})
}
