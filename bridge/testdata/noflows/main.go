// Command noflows is a plugin that lists no way to log in (LoginFlows
// answers none, which the conformance kit refuses): the gateway's tests
// run it to check that the login command answers it with an error
// instead of failing on it.
package main

import (
	"context"

	"passerelle.im/passerelle/bridge/testdata/testplugin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() {
	sdk.Serve[*testplugin.Session](&network{testplugin.Network{Caps: testplugin.Caps("noflows", "No flows", nil)}})
}

// network is testplugin's, with no way to log in.
type network struct{ testplugin.Network }

// LoginFlows lists none.
func (*network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) { return nil, nil }

func (*network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
	return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "no login here")
}
