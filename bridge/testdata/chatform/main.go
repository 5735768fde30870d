// Command chatform is a plugin whose login form has the kinds of field
// the chat login must ask well: a required name, a yes/no with a
// default, a choice with a default, optional text, and a port the
// plugin checks itself (a refusal naming it only in words). The login
// completes with a display name that tells what the form got:
// "NAME (tls=… color=… note=… port=…)". The gateway's tests run it to
// check the chat login's dialogue.
package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"passerelle.im/passerelle/bridge/testdata/testplugin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() {
	sdk.Serve[*testplugin.Session](&network{testplugin.Network{Caps: testplugin.Caps("chatform", "Chat Form", nil)}})
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

func (*login) Start(context.Context) (*pb.LoginStep, error) { return form(""), nil }
func (*login) Cancel()                                      {}

// Submit refuses an empty name or a port that is no number, and
// completes otherwise, saying what it got.
func (*login) Submit(_ context.Context, f map[string]string) (*pb.LoginStep, error) {
	name := strings.TrimSpace(f["name"])
	if name == "" {
		return form("The name must not be empty."), nil
	}
	if p := f["port"]; p != "" {
		if _, err := strconv.Atoi(p); err != nil {
			return form(fmt.Sprintf("The port must be a number, not %q.", p)), nil
		}
	}
	display := fmt.Sprintf("%s (tls=%s color=%s note=%q port=%q)", name, f["tls"], f["color"], f["note"], f["port"])
	return &pb.LoginStep{Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{LoginId: name, DisplayName: display}}}, nil
}

func form(errText string) *pb.LoginStep {
	return &pb.LoginStep{Instructions: "Fill in the form.", Error: errText, Step: &pb.LoginStep_Form{Form: &pb.FormStep{
		Fields: []*pb.FormField{
			{Id: "name", Label: "Name", Type: pb.FieldType_FIELD_TYPE_USERNAME, Required: true},
			{Id: "tls", Label: "TLS", Type: pb.FieldType_FIELD_TYPE_BOOLEAN, DefaultValue: "true"},
			{Id: "color", Label: "Color", Type: pb.FieldType_FIELD_TYPE_SELECT, Options: []string{"red", "green", "blue"}, DefaultValue: "green"},
			{Id: "note", Label: "Note", Type: pb.FieldType_FIELD_TYPE_TEXT},
			{Id: "port", Label: "Port", Type: pb.FieldType_FIELD_TYPE_TEXT},
		}}}}
}
