package sdk

import (
	"context"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// deleter is a rich session that also deletes groups.
type deleter struct{ rich }

func (d *deleter) DeleteChat(_ context.Context, c Call, in *pb.DeleteChat) error {
	d.log("delete " + c.ChatID + " " + in.Reason)
	return nil
}

// DeleteChat reaches the session's DeleteChat with its chat and reason;
// a session without it answers UNSUPPORTED, saying what, so that a
// plugin written before the command stays valid.
func TestDeleteChat(t *testing.T) {
	var s *deleter
	c := startServer(t, newConnectorTransport[*deleter](&testNet[*deleter]{mk: func(l LoginInfo) *deleter {
		s = &deleter{rich{plain{info: l}}}
		return s
	}}), "")
	if _, err := c.Init(testContext(t), &pb.InitRequest{}); err != nil {
		t.Fatal(err)
	}
	connectLogin(t, c, "a")
	del := func(chat string) *pb.Command {
		return &pb.Command{LoginId: "a", ChatId: chat, Action: &pb.Command_DeleteChat{DeleteChat: &pb.DeleteChat{Reason: "done"}}}
	}
	if res := send(t, c, del("g")); res[0].Error != nil {
		t.Errorf("delete g: %v", res[0].Error)
	}
	s.mu.Lock()
	got := slices.Clone(s.calls)
	s.mu.Unlock()
	if calls := strings.Join(got, "|"); calls != "connect|delete g done" {
		t.Errorf("session saw %q", calls)
	}

	p := startServer(t, newConnectorTransport[*plain](&testNet[*plain]{mk: func(l LoginInfo) *plain { return &plain{info: l} }}), "")
	if _, err := p.Init(testContext(t), &pb.InitRequest{}); err != nil {
		t.Fatal(err)
	}
	connectLogin(t, p, "a")
	if r := send(t, p, del("g"))[0]; r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED || !strings.Contains(r.Error.GetText(), "deleting groups") {
		t.Errorf("plain session: %v, want UNSUPPORTED about deleting groups", r.Error)
	}
}
