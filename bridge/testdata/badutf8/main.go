// Command badutf8 is a plugin that breaks the contract the way a plugin
// with its own protobuf encoder can: for every message the user sends,
// it emits an event whose text and sender name hold invalid UTF-8 (which
// proto3 strings must not), then a good event. The gateway's tests run
// it to check that the bad event arrives repaired and does not block the
// ones after it.
//
// Go's protobuf encoder refuses invalid UTF-8, so the plugin writes its
// strings with a marker and a gRPC codec of its own (wirecodec) swaps
// the marker's bytes for invalid ones on the wire, at the same length.
package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"passerelle.im/passerelle/bridge/testdata/namelogin"
	"passerelle.im/passerelle/bridge/testdata/wirecodec"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Marker is what the plugin writes; on the wire its third and fourth
// bytes become 0xff 0xfe, which no UTF-8 text holds.
const Marker = "@@INVALID@@"

func init() { wirecodec.Break(map[string]string{Marker: "@@\xff\xfe" + Marker[4:]}) }

func main() { sdk.Serve[*session](&network{}) }

type network struct {
	host   sdk.Host
	prefix string
	seq    atomic.Uint64
}

// Init declares plain text messages.
func (n *network) Init(_ context.Context, _ sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	n.host = host
	n.prefix = fmt.Sprintf("%x", time.Now().UnixNano())
	return &pb.Capabilities{Network: "badutf8", DisplayName: "Bad UTF-8", Version: "1", Features: &pb.Features{}}, nil
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

// SendMessage answers with a broken event (text and sender name), then a
// good one.
func (s *session) SendMessage(_ context.Context, c sdk.Call, m *pb.SendMessage) (sdk.Result, error) {
	id := fmt.Sprintf("%s-%d", s.n.prefix, s.n.seq.Add(1))
	s.n.host.Emit(&pb.Event{LoginId: s.id, ChatId: c.ChatID, Sender: &pb.Sender{UserId: c.ChatID, Name: Marker},
		TimestampUnixMicro: time.Now().UnixMicro(), EventId: id + ".bad",
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "bad " + Marker + " " + m.Text}}})
	s.n.host.Emit(&pb.Event{LoginId: s.id, ChatId: c.ChatID, Sender: &pb.Sender{UserId: c.ChatID},
		TimestampUnixMicro: time.Now().UnixMicro(), EventId: id + ".good",
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "good " + m.Text}}})
	return sdk.Result{MessageID: id}, nil
}
