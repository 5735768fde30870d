// Command cancelhang is a plugin whose login refuses the name Refused
// with an error at the form's submit, as cancellog's does, and whose
// login processes never end when cancelled: Cancel logs
// "cancelhang: cancel hangs" and blocks for the process's life. The
// gateway's tests run it to check that such a plugin does not hold the
// gateway's stop up to its call timeout.
package main

import (
	"context"
	"log/slog"
	"strings"

	"passerelle.im/passerelle/bridge/testdata/namelogin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Refused is the name whose submit fails.
const Refused = "refused"

func main() { sdk.Serve[*session](&network{}) }

type network struct{ host sdk.Host }

func (n *network) Init(_ context.Context, _ sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	n.host = host
	return &pb.Capabilities{Network: "cancelhang", DisplayName: "Cancel Hang", Version: "1", Features: &pb.Features{}}, nil
}

func (n *network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return namelogin.Flows(), nil
}

func (n *network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
	return &login{log: n.host.Logger()}, nil
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

func (n *network) LoadLogin(_ context.Context, l sdk.LoginInfo) (*session, error) {
	return &session{n: n, id: l.LoginID}, nil
}

type session struct {
	n  *network
	id string
}

func (s *session) Connect(context.Context) error {
	namelogin.Connected(s.n.host, s.id)
	return nil
}

func (*session) Disconnect(context.Context) error { return nil }
func (*session) Logout(context.Context) error     { return nil }

func (*session) SendMessage(context.Context, sdk.Call, *pb.SendMessage) (sdk.Result, error) {
	return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "cancelhang sends nothing")
}
