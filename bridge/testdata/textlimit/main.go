// Command textlimit is a plugin that declares a small max_text_bytes
// (Limit) and does not check it: it takes any text, and answers each
// message and correction the user sends with the contact's message
// "got: TEXT" (or "edited: TEXT"). The gateway's tests run it to check
// that the gateway refuses a text over the limit itself, before it
// reaches the plugin.
package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"passerelle.im/passerelle/bridge/testdata/namelogin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Limit is the max_text_bytes the plugin declares.
const Limit = 20

func main() { sdk.Serve[*session](&network{}) }

type network struct {
	host   sdk.Host
	prefix string
	seq    atomic.Uint64
}

// Init declares the limit and corrections.
func (n *network) Init(_ context.Context, _ sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	n.host = host
	n.prefix = fmt.Sprintf("%x", time.Now().UnixNano())
	return &pb.Capabilities{Network: "textlimit", DisplayName: "Text Limit", Version: "1", MaxTextBytes: Limit,
		Features: &pb.Features{Edits: true}}, nil
}

func (n *network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return namelogin.Flows(), nil
}

func (n *network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
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

func (s *session) Disconnect(context.Context) error { return nil }
func (s *session) Logout(context.Context) error     { return nil }

// say sends the user the contact's message text.
func (s *session) say(chatID, text string) {
	s.n.host.Emit(&pb.Event{LoginId: s.id, ChatId: chatID, Sender: &pb.Sender{UserId: chatID},
		TimestampUnixMicro: time.Now().UnixMicro(), EventId: fmt.Sprintf("%s-in-%d", s.n.prefix, s.n.seq.Add(1)),
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}})
}

// SendMessage takes any text, over the limit too, and says what it got.
func (s *session) SendMessage(_ context.Context, c sdk.Call, m *pb.SendMessage) (sdk.Result, error) {
	s.say(c.ChatID, "got: "+m.Text)
	return sdk.Result{MessageID: fmt.Sprintf("%s-%d", s.n.prefix, s.n.seq.Add(1))}, nil
}

// EditMessage takes any text, and says what it got.
func (s *session) EditMessage(_ context.Context, c sdk.Call, e *pb.EditMessage) (sdk.Result, error) {
	s.say(c.ChatID, "edited: "+e.Text)
	return sdk.Result{}, nil
}
