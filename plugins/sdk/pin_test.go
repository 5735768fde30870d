package sdk

import (
	"context"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// pinner is a rich session that also pins messages.
type pinner struct{ rich }

func (p *pinner) Pin(_ context.Context, c Call, pin *pb.Pin) error {
	what := "pin "
	if pin.Unpin {
		what = "unpin "
	}
	p.log(what + c.ChatID + " " + pin.TargetId + " " + string(pin.TargetMeta))
	return nil
}

// Pin: the feature pin follows the session type; the command reaches the
// session with its message and metadata; one naming no message is
// refused before it; a chat whose limits leave pin out refuses it as
// NOT_ALLOWED; a session without it answers UNSUPPORTED, even when it
// claims the feature.
func TestPin(t *testing.T) {
	var s *pinner
	c := startServer(t, newConnectorTransport[*pinner](&testNet[*pinner]{mk: func(l LoginInfo) *pinner {
		s = &pinner{rich{plain{info: l}}}
		return s
	}}), "")
	caps, err := c.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !caps.Features.Pin {
		t.Errorf("features %v: want pin", caps.Features)
	}
	connectLogin(t, c, "a")
	pin := func(chat, target string, unpin bool) *pb.Command {
		return &pb.Command{LoginId: "a", ChatId: chat, Action: &pb.Command_Pin{Pin: &pb.Pin{TargetId: target, TargetMeta: []byte("m"), Unpin: unpin}}}
	}
	res := send(t, c, pin("g", "m1", false), pin("g", "m1", true), pin("g", "", false), pin("quiet", "m2", false))
	if res[0].Error != nil || res[1].Error != nil {
		t.Errorf("pins in g: %v %v", res[0].Error, res[1].Error)
	}
	if e := res[2].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("a pin naming no message: %v, want BAD_REQUEST", e)
	}
	if e := res[3].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(e.GetText(), "pin messages") {
		t.Errorf("pin in quiet: %v, want NOT_ALLOWED about pinning messages", e)
	}
	s.mu.Lock()
	got := slices.Clone(s.calls)
	s.mu.Unlock()
	if calls := strings.Join(got, "|"); calls != "connect|pin g m1 m|unpin g m1 m" {
		t.Errorf("session saw %q", calls)
	}

	p := startServer(t, newConnectorTransport[*plain](&testNet[*plain]{claims: &pb.Features{Pin: true},
		mk: func(l LoginInfo) *plain { return &plain{info: l} }}), "")
	caps, err = p.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if caps.Features.Pin {
		t.Error("a session without Pin advertises pin")
	}
	connectLogin(t, p, "a")
	if e := send(t, p, pin("g", "m1", false))[0].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		t.Errorf("without Pin: %v, want UNSUPPORTED", e)
	}
}
