// Command nulid is a plugin that sends what the gateway's store refuses:
// for every message the user sends, an event whose ID holds a NUL byte,
// then a good event ("good " and the text). The SDK refuses such an event
// at emit, so the plugin writes a marker in its ID and wirecodec swaps
// the marker's bytes for a NUL on the wire, as a plugin without the SDK
// could send it. The gateway's tests run it to check that the refused
// event is counted (passerelle_events_rejected_total) and blocks nothing.
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

// Marker is what the plugin writes in the bad event's ID; on the wire its
// third byte becomes a NUL.
const Marker = "@@NULID@@"

func init() { wirecodec.Break(map[string]string{Marker: "@@\x00" + Marker[3:]}) }

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
	return &pb.Capabilities{Network: "nulid", DisplayName: "NUL ID", Version: "1", Features: &pb.Features{}}, nil
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

// SendMessage answers with an event whose ID holds a NUL on the wire,
// then a good one.
func (s *session) SendMessage(_ context.Context, c sdk.Call, m *pb.SendMessage) (sdk.Result, error) {
	id := fmt.Sprintf("%s-%d", s.n.prefix, s.n.seq.Add(1))
	for _, ev := range []struct{ id, text string }{{id + Marker, "bad " + m.Text}, {id + ".good", "good " + m.Text}} {
		s.n.host.Emit(&pb.Event{LoginId: s.id, ChatId: c.ChatID, Sender: &pb.Sender{UserId: c.ChatID},
			TimestampUnixMicro: time.Now().UnixMicro(), EventId: ev.id,
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: ev.text}}})
	}
	return sdk.Result{MessageID: id}, nil
}
