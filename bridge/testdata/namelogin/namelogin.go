// Package namelogin is the login the gateway's test plugins share: one
// flow whose form asks for a name, which becomes the login ID, and a
// session that is connected as soon as it connects.
package namelogin

import (
	"context"
	"strings"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Flows is the one login flow.
func Flows() []*pb.LoginFlow { return []*pb.LoginFlow{{Id: "name", Name: "Name"}} }

// Login asks for a name; the name is the login ID.
type Login struct{}

// Start asks for the name.
func (*Login) Start(context.Context) (*pb.LoginStep, error) { return form(""), nil }

// Cancel has nothing to end.
func (*Login) Cancel() {}

// Submit completes the login with the name, or asks again for an empty one.
func (*Login) Submit(_ context.Context, f map[string]string) (*pb.LoginStep, error) {
	name := strings.TrimSpace(f["username"])
	if name == "" {
		return form("The name must not be empty."), nil
	}
	return &pb.LoginStep{Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{LoginId: name, DisplayName: name}}}, nil
}

func form(errText string) *pb.LoginStep {
	return &pb.LoginStep{Instructions: "Pick a name.", Error: errText, Step: &pb.LoginStep_Form{Form: &pb.FormStep{
		Fields: []*pb.FormField{{Id: "username", Label: "Name", Type: pb.FieldType_FIELD_TYPE_USERNAME, Required: true}}}}}
}

// Connected tells the gateway the login loginID is connected.
func Connected(host sdk.Host, loginID string) {
	host.Emit(&pb.Event{LoginId: loginID, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED}}})
}
