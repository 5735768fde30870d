// Command staleconn is a plugin whose login's connection before the
// latest still has a state on its way as the same account logs in again.
// The first connection of each login in the process is refused
// (BAD_CREDENTIALS, FirstRefused); every Connect after it first sends
// again the last state the connection before said, with the connection
// number the SDK stamped it with, as a state of a connection torn down
// arrives when it was still in transit as the new login began, then says
// CONNECTED. The gateway's tests run it to check that such a state
// answers neither the login nor the registration that followed it.
//
// Its [transport.config] unmarked = true puts its login states on the
// wire without their connection number, as a plugin built before the
// field sends them (its gRPC codec clears it), and sends no state of a
// connection before (which the gateway could not tell from the new
// one's): the gateway's tests check that such a plugin's logins are
// answered as ever.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/bridge/testdata/testplugin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// FirstRefused is the message of a login's first connection's refusal.
const FirstRefused = "the first try is refused"

// unmarked: Init read unmarked = true. The codec reads it; it is
// registered before gRPC runs, as grpc's encoding package wants.
var unmarked atomic.Bool

func main() {
	encoding.RegisterCodecV2(unmarkingCodec{encoding.GetCodecV2("proto")})
	sdk.Serve[*session](&network{})
}

type network struct {
	testplugin.Network

	mu   sync.Mutex
	said map[string]*pb.Event // login ID -> the last state its connection said, as stamped
}

// Init reads unmarked.
func (n *network) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	var cfg struct {
		Unmarked bool `json:"unmarked"`
	}
	if err := json.Unmarshal(req.ConfigJSON, &cfg); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	unmarked.Store(cfg.Unmarked)
	n.Host, n.said = host, map[string]*pb.Event{}
	return testplugin.Caps("staleconn", "Stale connection", nil), nil
}

func (n *network) LoadLogin(_ context.Context, l sdk.LoginInfo) (*session, error) {
	return &session{Session: n.Session(l), n: n}, nil
}

type session struct {
	testplugin.Session
	n *network
}

// Connect sends again the state of the connection before, if any (and
// numbered), then this one's.
func (s *session) Connect(context.Context) error {
	n := s.n
	n.mu.Lock()
	before := n.said[s.ID]
	n.mu.Unlock()
	if before != nil && !unmarked.Load() {
		n.Host.Emit(proto.Clone(before).(*pb.Event)) // its connection number kept
	}
	ls := &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED}
	if before == nil {
		ls = &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, Message: FirstRefused}
	}
	ev := &pb.Event{LoginId: s.ID, TimestampUnixMicro: time.Now().UnixMicro(), Payload: &pb.Event_LoginState{LoginState: ls}}
	n.Host.Emit(ev) // the SDK stamps this connection's number
	n.mu.Lock()
	n.said[s.ID] = proto.Clone(ev).(*pb.Event)
	n.mu.Unlock()
	return nil
}

// unmarkingCodec is gRPC's proto codec, which, while unmarked, sends
// login state events without their connection number.
type unmarkingCodec struct{ proto encoding.CodecV2 }

func (c unmarkingCodec) Marshal(v any) (mem.BufferSlice, error) {
	if ev, ok := v.(*pb.Event); ok && unmarked.Load() && ev.GetLoginState().GetConnection() != 0 {
		ev = proto.Clone(ev).(*pb.Event)
		ev.GetLoginState().Connection = 0
		v = ev
	}
	return c.proto.Marshal(v)
}

func (c unmarkingCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return c.proto.Unmarshal(data, v)
}
func (c unmarkingCodec) Name() string { return c.proto.Name() }
