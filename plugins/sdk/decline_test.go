package sdk

import (
	"context"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// decliner is a rich session that also declines invitations.
type decliner struct{ rich }

func (d *decliner) DeclineInvite(_ context.Context, c Call, in *pb.DeclineInvite) error {
	d.log("decline " + c.ChatID + " " + in.Reason)
	return nil
}

// DeclineInvite reaches the session's DeclineInvite with its chat and
// reason; a session without it answers UNSUPPORTED, saying what.
func TestDeclineInvite(t *testing.T) {
	var s *decliner
	c := startServer(t, newConnectorTransport[*decliner](&testNet[*decliner]{mk: func(l LoginInfo) *decliner {
		s = &decliner{rich{plain{info: l}}}
		return s
	}}), "")
	if _, err := c.Init(testContext(t), &pb.InitRequest{}); err != nil {
		t.Fatal(err)
	}
	connectLogin(t, c, "a")
	decline := func(chat string) *pb.Command {
		return &pb.Command{LoginId: "a", ChatId: chat, Action: &pb.Command_DeclineInvite{DeclineInvite: &pb.DeclineInvite{Reason: "no thanks"}}}
	}
	if res := send(t, c, decline("g")); res[0].Error != nil {
		t.Errorf("decline g: %v", res[0].Error)
	}
	s.mu.Lock()
	got := slices.Clone(s.calls)
	s.mu.Unlock()
	if calls := strings.Join(got, "|"); calls != "connect|decline g no thanks" {
		t.Errorf("session saw %q", calls)
	}

	p := startServer(t, newConnectorTransport[*plain](&testNet[*plain]{mk: func(l LoginInfo) *plain { return &plain{info: l} }}), "")
	if _, err := p.Init(testContext(t), &pb.InitRequest{}); err != nil {
		t.Fatal(err)
	}
	connectLogin(t, p, "a")
	if r := send(t, p, decline("g"))[0]; r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED || !strings.Contains(r.Error.GetText(), "invitations") {
		t.Errorf("plain session: %v, want UNSUPPORTED about invitations", r.Error)
	}
}
