// Command twoflows is a plugin that offers two ways to log in, as
// Telegram and WhatsApp do, and completes none: the demo's tests run it
// to check what -flow, given or not, says.
package main

import (
	"context"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() { sdk.Serve[*session](&network{}) }

type network struct{}

// Init declares nothing beyond its name.
func (*network) Init(context.Context, sdk.InitRequest, sdk.Host) (*pb.Capabilities, error) {
	return &pb.Capabilities{Network: "twoflows", DisplayName: "Two flows", Version: "1", Features: &pb.Features{}}, nil
}

// LoginFlows offers two.
func (*network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return []*pb.LoginFlow{{Id: "phone", Name: "Phone number"}, {Id: "qr", Name: "QR code"}}, nil
}

// StartLogin refuses a flow it does not offer, as the real plugins do,
// and any other: no login completes here.
func (*network) StartLogin(_ context.Context, req sdk.LoginRequest) (sdk.LoginProcess, error) {
	if req.FlowID != "phone" && req.FlowID != "qr" {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "twoflows: no login flow %q", req.FlowID)
	}
	return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "twoflows: no login completes here")
}

func (*network) LoadLogin(context.Context, sdk.LoginInfo) (*session, error) {
	return &session{}, nil
}

type session struct{}

func (*session) Connect(context.Context) error    { return nil }
func (*session) Disconnect(context.Context) error { return nil }
func (*session) Logout(context.Context) error     { return nil }

func (*session) SendMessage(context.Context, sdk.Call, *pb.SendMessage) (sdk.Result, error) {
	return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "no messages here")
}
