// Command cancelhang is a plugin whose login refuses the name Refused
// with an error at the form's submit, as cancellog's does, and whose
// login processes never end when cancelled: Cancel logs
// "cancelhang: cancel hangs" and blocks for the process's life. The
// gateway's tests run it to check that such a plugin holds neither the
// user's chat nor the gateway's stop up to its call timeout.
package main

import (
	"context"
	"log/slog"
	"strings"

	"passerelle.im/passerelle/bridge/testdata/namelogin"
	"passerelle.im/passerelle/bridge/testdata/testplugin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Refused is the name whose submit fails.
const Refused = "refused"

func main() {
	sdk.Serve[*testplugin.Session](&network{testplugin.Network{Caps: testplugin.Caps("cancelhang", "Cancel Hang", nil)}})
}

type network struct{ testplugin.Network }

func (n *network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
	return &login{log: n.Host.Logger()}, nil
}

// login is namelogin's, with Refused refused and a Cancel that hangs.
type login struct {
	namelogin.Login
	log *slog.Logger
}

func (l *login) Submit(ctx context.Context, f map[string]string) (*pb.LoginStep, error) {
	if name := strings.TrimSpace(f["username"]); name == Refused {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAUTHORIZED, "the network refused %s's password", name)
	}
	return l.Login.Submit(ctx, f)
}

func (l *login) Cancel() {
	l.log.Info("cancelhang: cancel hangs")
	select {}
}
