// Command cancellog is a plugin whose login refuses the name Refused
// with an error at the form's submit (as a network refusing a password
// answers), and logs each login process the gateway cancels
// ("cancellog: login cancelled", with the name submitted). The SDK keeps
// a process whose step failed, for another try: the gateway's tests run
// it to check that the gateway cancels such a process it will not
// drive on.
package main

import (
	"context"
	"log/slog"
	"strings"
	"sync"

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
	return &pb.Capabilities{Network: "cancellog", DisplayName: "Cancel Log", Version: "1", Features: &pb.Features{}}, nil
}

func (n *network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return namelogin.Flows(), nil
}

func (n *network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
	return &login{log: n.host.Logger()}, nil
}

// login is namelogin's, with Refused refused and its Cancel logged.
type login struct {
	namelogin.Login
	log *slog.Logger

	mu   sync.Mutex
	name string // the name submitted
}

func (l *login) Submit(ctx context.Context, f map[string]string) (*pb.LoginStep, error) {
	name := strings.TrimSpace(f["username"])
	l.mu.Lock()
	l.name = name
	l.mu.Unlock()
	if name == Refused {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAUTHORIZED, "the network refused %s's password", name)
	}
	return l.Login.Submit(ctx, f)
}

func (l *login) Cancel() {
	l.mu.Lock()
	name := l.name
	l.mu.Unlock()
	l.log.Info("cancellog: login cancelled", "name", name)
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
	return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "cancellog sends nothing")
}
