// Command noflows is a plugin that lists no way to log in (LoginFlows
// answers none, which the conformance kit refuses): the gateway's tests
// run it to check that the login command answers it with an error
// instead of failing on it.
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
	return &pb.Capabilities{Network: "noflows", DisplayName: "No flows", Version: "1", Features: &pb.Features{}}, nil
}

// LoginFlows lists none.
func (*network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) { return nil, nil }

func (*network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
	return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "no login here")
}

func (*network) LoadLogin(_ context.Context, l sdk.LoginInfo) (*session, error) {
	return &session{}, nil
}

type session struct{}

func (*session) Connect(context.Context) error    { return nil }
func (*session) Disconnect(context.Context) error { return nil }
func (*session) Logout(context.Context) error     { return nil }

func (*session) SendMessage(context.Context, sdk.Call, *pb.SendMessage) (sdk.Result, error) {
	return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "no messages here")
}
