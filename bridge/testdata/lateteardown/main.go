// Command lateteardown is a plugin whose connection, ended by a
// Disconnect, has its last word (Teardown, STOPPED) arrive late, after
// the gateway heard the Disconnect was done, as a network library's
// teardown reported from its own goroutine does. It is said when the
// next login process starts (any user's StartLogin: the test's signal,
// as no time would order it), without a connection number: the SDK
// stamps it with the ended connection's. The gateway's tests run it to
// check that such a state does not overwrite the state the gateway gave
// the login as it disconnected it.
package main

import (
	"context"
	"sync"
	"time"

	"passerelle.im/passerelle/bridge/testdata/namelogin"
	"passerelle.im/passerelle/bridge/testdata/testplugin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Teardown is the message of the late state.
const Teardown = "torn down late"

func main() {
	sdk.Serve[*session](&network{Network: testplugin.Network{Caps: testplugin.Caps("lateteardown", "Late Teardown", nil)}})
}

type network struct {
	testplugin.Network

	mu   sync.Mutex
	late []string // logins whose connection ended, their last word not said yet
}

// StartLogin first says the last word of each connection ended.
func (n *network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
	n.mu.Lock()
	late := n.late
	n.late = nil
	n.mu.Unlock()
	for _, id := range late {
		n.Host.Logger().Info("lateteardown: the ended connection's last word", "login", id)
		n.Host.Emit(&pb.Event{LoginId: id, TimestampUnixMicro: time.Now().UnixMicro(),
			Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_STOPPED, Message: Teardown}}})
	}
	return &namelogin.Login{}, nil
}

func (n *network) LoadLogin(_ context.Context, l sdk.LoginInfo) (*session, error) {
	return &session{Session: n.Session(l), n: n}, nil
}

type session struct {
	testplugin.Session
	n *network
}

// Disconnect leaves the connection's last word for later.
func (s *session) Disconnect(context.Context) error {
	s.n.mu.Lock()
	s.n.late = append(s.n.late, s.ID)
	s.n.mu.Unlock()
	return nil
}
