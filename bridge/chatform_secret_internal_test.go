package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestChatLoginRefusedHidesSecrets: a refused form's review and its
// field asked again never show a password (kept, so that done sends it
// again) or a one-time code (not kept), only whether there is one.
func TestChatLoginRefusedHidesSecrets(t *testing.T) {
	tr, _, _, sent := occupantFixture(t)
	fields := func() []*pb.FormField {
		return []*pb.FormField{
			{Id: "user", Label: "User", Type: pb.FieldType_FIELD_TYPE_USERNAME, Required: true},
			{Id: "pass", Label: "Password", Type: pb.FieldType_FIELD_TYPE_PASSWORD, Required: true},
			{Id: "code", Label: "Code", Type: pb.FieldType_FIELD_TYPE_CODE},
		}
	}
	refused := &pb.LoginStep{ProcessId: "p1", Error: "Wrong user.", Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: fields()}}}
	kept, _ := keepAnswers(&pb.FormStep{Fields: fields()}, refused, map[string]string{"user": "ann", "pass": "hunter2", "code": "987654"})
	p := chatProc(tr, kept, time.Now())

	ctx := context.Background()
	tr.askNext(ctx, p)
	tr.handleGatewayChat(ctx, p.user, "2")
	var bodies []string
	for _, o := range sent() {
		if b, ok := o.Body(); ok {
			bodies = append(bodies, b)
		}
	}
	all := strings.Join(bodies, "\n")
	if !strings.Contains(all, "2. Password: (given, not shown)") || !strings.Contains(all, "Password?") {
		t.Fatalf("no review with the password hidden, then the password asked again: %q", all)
	}
	for _, secret := range []string{"hunter2", "987654"} {
		if strings.Contains(all, secret) {
			t.Errorf("the chat showed the secret %q: %q", secret, all)
		}
	}
}
