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
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Teardown is the message of the late state.
const Teardown = "torn down late"

func main() { sdk.Serve[*session](&network{}) }

type network struct {
	host sdk.Host

	mu   sync.Mutex
	late []string // logins whose connection ended, their last word not said yet
}

func (n *network) Init(_ context.Context, _ sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	n.host = host
	return &pb.Capabilities{Network: "lateteardown", DisplayName: "Late Teardown", Version: "1", Features: &pb.Features{}}, nil
}

func (n *network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return namelogin.Flows(), nil
}

// StartLogin first says the last word of each connection ended.
func (n *network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
	n.mu.Lock()
	late := n.late
	n.late = nil
	n.mu.Unlock()
	for _, id := range late {
		n.host.Logger().Info("lateteardown: the ended connection's last word", "login", id)
		n.host.Emit(&pb.Event{LoginId: id, TimestampUnixMicro: time.Now().UnixMicro(),
			Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_STOPPED, Message: Teardown}}})
	}
	return &namelogin.Login{}, nil
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

// Disconnect leaves the connection's last word for later.
func (s *session) Disconnect(context.Context) error {
	s.n.mu.Lock()
	s.n.late = append(s.n.late, s.id)
	s.n.mu.Unlock()
	return nil
}

func (*session) Logout(context.Context) error { return nil }

func (*session) SendMessage(context.Context, sdk.Call, *pb.SendMessage) (sdk.Result, error) {
	return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "lateteardown sends nothing")
}
