package sdk

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A command whose action was added to the contract after this SDK (a
// field it does not know) is UNSUPPORTED, saying the plugin's SDK is
// older than the gateway's contract; one with no action at all stays a
// BAD_REQUEST. It was BAD_REQUEST "command without an action this SDK
// knows (<nil>)" for both: the gateway took it for its own mistake.
func TestCommandNewerAction(t *testing.T) {
	c := startServer(t, newConnectorTransport[*rich](&testNet[*rich]{mk: func(l LoginInfo) *rich {
		return &rich{plain{info: l}}
	}}), "")
	if _, err := c.Init(testContext(t), &pb.InitRequest{}); err != nil {
		t.Fatal(err)
	}
	connectLogin(t, c, "a")
	newer := &pb.Command{LoginId: "a", ChatId: "g"}
	// Field 1000 of the action oneof, as a later contract might add it.
	raw := protowire.AppendTag(nil, 1000, protowire.BytesType)
	raw = protowire.AppendBytes(raw, []byte{0x0a, 0x01, 'x'})
	newer.ProtoReflect().SetUnknown(raw)
	res := send(t, c, newer, &pb.Command{LoginId: "a", ChatId: "g"})
	if e := res[0].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED || !strings.Contains(e.GetText(), "older than the gateway's contract") {
		t.Errorf("newer action: %v, want UNSUPPORTED naming an SDK older than the gateway's contract", e)
	}
	if e := res[1].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("no action: %v, want BAD_REQUEST", e)
	}
}
