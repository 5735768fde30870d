// Command badwire is a plugin that breaks the contract the way a plugin
// with its own protobuf encoder can, past what Go's encoder and the SDK's
// checks at emit let through: for every message the user sends, it emits
// an event whose text and sender name hold invalid UTF-8 (which proto3
// strings must not), then one whose ID holds a NUL (which the store
// refuses), then a good event. The gateway's tests run it to check that
// the first arrives repaired, the second is counted as rejected, and
// neither blocks the ones after it.
//
// The plugin writes markers in place of the bad bytes, and a gRPC codec
// of its own (wirecodec) swaps each marker's bytes on the wire, at the
// same length.
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

// Marker is what the plugin writes in strings; on the wire its third and
// fourth bytes become 0xff 0xfe, which no UTF-8 text holds. NULMarker is
// what it writes in an ID; on the wire its third byte becomes a NUL.
const (
	Marker    = "@@INVALID@@"
	NULMarker = "@@NULID@@"
)

func init() {
	wirecodec.Break(map[string]string{Marker: "@@\xff\xfe" + Marker[4:], NULMarker: "@@\x00" + NULMarker[3:]})
}

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
	return &pb.Capabilities{Network: "badwire", DisplayName: "Bad wire", Version: "1", Features: &pb.Features{}}, nil
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

// SendMessage answers with an event of broken text and sender name, one
// of a NUL in its ID, then a good one.
func (s *session) SendMessage(_ context.Context, c sdk.Call, m *pb.SendMessage) (sdk.Result, error) {
	id := fmt.Sprintf("%s-%d", s.n.prefix, s.n.seq.Add(1))
	s.n.host.Emit(&pb.Event{LoginId: s.id, ChatId: c.ChatID, Sender: &pb.Sender{UserId: c.ChatID, Name: Marker},
		TimestampUnixMicro: time.Now().UnixMicro(), EventId: id + ".bad",
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "bad " + Marker + " " + m.Text}}})
	s.n.host.Emit(&pb.Event{LoginId: s.id, ChatId: c.ChatID, Sender: &pb.Sender{UserId: c.ChatID},
		TimestampUnixMicro: time.Now().UnixMicro(), EventId: id + NULMarker,
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "rejected " + m.Text}}})
	s.n.host.Emit(&pb.Event{LoginId: s.id, ChatId: c.ChatID, Sender: &pb.Sender{UserId: c.ChatID},
		TimestampUnixMicro: time.Now().UnixMicro(), EventId: id + ".good",
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "good " + m.Text}}})
	return sdk.Result{MessageID: id}, nil
}
