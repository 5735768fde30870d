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
	"passerelle.im/passerelle/bridge/testdata/testplugin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Refused is the name whose submit fails.
const Refused = "refused"

func main() {
	sdk.Serve[*testplugin.Session](&network{testplugin.Network{Caps: testplugin.Caps("cancellog", "Cancel Log", nil)}})
}

type network struct{ testplugin.Network }

func (n *network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
	return &login{log: n.Host.Logger()}, nil
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
