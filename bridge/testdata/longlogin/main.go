// Command longlogin is a plugin that completes a login with an ID the
// gateway cannot keep, as a plugin built without the SDK (or with an
// SDK from before it refused such a login) can: the name Marker
// completes a login whose ID is IDBytes long on the wire. Its gRPC
// codec swaps the ID in after the SDK's check. The gateway's tests run
// it to check that the gateway refuses the login and asks the plugin to
// log it out, which it logs ("longlogin: logged out").
package main

import (
	"context"
	"strings"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/bridge/testdata/testplugin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Marker is the name whose login's ID becomes IDBytes long.
const Marker = "overlong"

// IDBytes is the length of that ID: over the contract's 4096.
const IDBytes = 5000

func init() {
	encoding.RegisterCodecV2(codec{encoding.GetCodecV2("proto")})
}

// codec is gRPC's proto codec, but a completed login step of Marker's
// login goes with the long ID.
type codec struct{ proto encoding.CodecV2 }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	if step, ok := v.(*pb.LoginStep); ok && step.GetComplete().GetLoginId() == Marker {
		step = proto.Clone(step).(*pb.LoginStep)
		step.GetComplete().LoginId = strings.Repeat("o", IDBytes)
		v = step
	}
	return c.proto.Marshal(v)
}

func (c codec) Unmarshal(data mem.BufferSlice, v any) error { return c.proto.Unmarshal(data, v) }
func (c codec) Name() string                                { return c.proto.Name() }

func main() {
	sdk.Serve[*session](&network{testplugin.Network{Caps: testplugin.Caps("longlogin", "Long Login", nil)}})
}

type network struct{ testplugin.Network }

func (n *network) LoadLogin(_ context.Context, l sdk.LoginInfo) (*session, error) {
	return &session{n.Session(l)}, nil
}

// session is testplugin's, but for its Logout.
type session struct{ testplugin.Session }

// Logout says which login went, by its ID's length.
func (s *session) Logout(context.Context) error {
	s.Host.Logger().Info("longlogin: logged out", "login_id_bytes", len(s.ID))
	return nil
}
