// Command serverform is a plugin whose one-step login form has, like
// IRC's, a required field with no XEP-0077 element (the server) beside
// fields whose IDs are XEP-0077 elements of another meaning (nick, and
// username: IRC's USER, not the account). The gateway's tests run it to
// check that in-band registration offers no plain fields for it.
package main

import (
	"context"

	"passerelle.im/passerelle/bridge/testdata/testplugin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() {
	sdk.Serve[*testplugin.Session](&network{testplugin.Network{Caps: testplugin.Caps("serverform", "Server Form", nil)}})
}

// network is testplugin's, with a login form of its own.
type network struct{ testplugin.Network }

func (*network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return []*pb.LoginFlow{{Id: "form", Name: "Form"}}, nil
}

func (*network) StartLogin(context.Context, sdk.LoginRequest) (sdk.LoginProcess, error) {
	return &login{}, nil
}

type login struct{}

func (*login) Start(context.Context) (*pb.LoginStep, error) {
	return &pb.LoginStep{Instructions: "Connect to a server.", Step: &pb.LoginStep_Form{Form: &pb.FormStep{
		Fields: []*pb.FormField{
			{Id: "server", Label: "Server", Type: pb.FieldType_FIELD_TYPE_TEXT, Required: true},
			{Id: "nick", Label: "Nick", Type: pb.FieldType_FIELD_TYPE_USERNAME, Required: true},
			{Id: "username", Label: "User name (USER)", Type: pb.FieldType_FIELD_TYPE_TEXT},
		}}}}, nil
}

func (*login) Cancel() {}

// Submit completes with the nick at the server.
func (*login) Submit(_ context.Context, f map[string]string) (*pb.LoginStep, error) {
	id := f["nick"] + "@" + f["server"]
	return &pb.LoginStep{Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{LoginId: id, DisplayName: id}}}, nil
}
