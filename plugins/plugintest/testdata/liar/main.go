// Command liar is a plugin whose optional interfaces do not work: its
// session implements Editor but refuses every edit as unsupported, and
// Backfiller but never sends history. The conformance kit's own tests
// check that the kit fails it.
package main

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() { sdk.Serve[*session](&network{}) }

type network struct {
	host sdk.Host
	seq  atomic.Uint64
}

func (n *network) Init(_ context.Context, _ sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	n.host = host
	return &pb.Capabilities{Network: "liar"}, nil
}

func (n *network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return []*pb.LoginFlow{{Id: "name"}}, nil
}

func (n *network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
	return login{}, nil
}

func (n *network) LoadLogin(_ context.Context, l sdk.LoginInfo) (*session, error) {
	return &session{n: n, id: l.LoginID}, nil
}

type login struct{}

func (login) Start(context.Context) (*pb.LoginStep, error) { return form(""), nil }
func (login) Cancel()                                      {}
func (login) Submit(_ context.Context, f map[string]string) (*pb.LoginStep, error) {
	if f["username"] == "" {
		return form("empty"), nil
	}
	return &pb.LoginStep{Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{LoginId: f["username"]}}}, nil
}

func form(errText string) *pb.LoginStep {
	return &pb.LoginStep{Error: errText, Step: &pb.LoginStep_Form{Form: &pb.FormStep{
		Fields: []*pb.FormField{{Id: "username", Required: true}}}}}
}

type session struct {
	n  *network
	id string
}

// Connect says CONNECTED; with LIAR_LOGIN_NARROWS set, with the login's
// features, edits left out (a kind of login that cannot edit): the
// gateway then offers no edit to its user.
func (s *session) Connect(context.Context) error {
	st := &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED}
	if os.Getenv("LIAR_LOGIN_NARROWS") != "" {
		st.Features = &pb.Features{Backfill: true, Reactions: true}
	}
	s.n.host.Emit(&pb.Event{LoginId: s.id, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_LoginState{LoginState: st}})
	return nil
}

func (s *session) Disconnect(context.Context) error { return nil }
func (s *session) Logout(context.Context) error     { return nil }

func (s *session) SendMessage(_ context.Context, c sdk.Call, m *pb.SendMessage) (sdk.Result, error) {
	id := fmt.Sprint("m", s.n.seq.Add(1))
	s.n.host.Emit(&pb.Event{LoginId: s.id, ChatId: c.ChatID, Sender: &pb.Sender{UserId: c.ChatID},
		TimestampUnixMicro: time.Now().UnixMicro(), EventId: id + ".echo",
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: m.Text}}})
	return sdk.Result{MessageID: id}, nil
}

// EditMessage makes edits advertised, then refuses them.
func (s *session) EditMessage(context.Context, sdk.Call, *pb.EditMessage) (sdk.Result, error) {
	return sdk.Result{}, sdk.ErrUnsupported
}

// Backfill makes backfill advertised, then sends nothing.
func (s *session) Backfill(context.Context, sdk.BackfillRequest) error { return nil }
