package sdk

import (
	"context"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// pollCloser is a rich session that also closes polls.
type pollCloser struct{ rich }

func (p *pollCloser) ClosePoll(_ context.Context, c Call, cp *pb.ClosePoll) error {
	p.log("close " + c.ChatID + " " + cp.TargetId + " " + string(cp.TargetMeta))
	return nil
}

// ClosePoll: the feature poll_close follows the session type; the
// command reaches the session with its poll and metadata; one naming no
// poll is refused before it; a chat whose limits leave poll_close out
// refuses it as NOT_ALLOWED; a session without it answers UNSUPPORTED,
// even when it claims the feature.
func TestClosePoll(t *testing.T) {
	var s *pollCloser
	c := startServer(t, newConnectorTransport[*pollCloser](&testNet[*pollCloser]{mk: func(l LoginInfo) *pollCloser {
		s = &pollCloser{rich{plain{info: l}}}
		return s
	}}), "")
	caps, err := c.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !caps.Features.PollClose {
		t.Errorf("features %v: want poll_close", caps.Features)
	}
	connectLogin(t, c, "a")
	closePoll := func(chat, target string) *pb.Command {
		return &pb.Command{LoginId: "a", ChatId: chat, Action: &pb.Command_ClosePoll{ClosePoll: &pb.ClosePoll{TargetId: target, TargetMeta: []byte("m")}}}
	}
	res := send(t, c, closePoll("g", "p1"), closePoll("g", ""), closePoll("quiet", "p2"))
	if res[0].Error != nil {
		t.Errorf("closing p1 in g: %v", res[0].Error)
	}
	if e := res[1].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("closing no poll: %v, want BAD_REQUEST", e)
	}
	if e := res[2].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(e.GetText(), "close polls") {
		t.Errorf("closing in quiet: %v, want NOT_ALLOWED about closing polls", e)
	}
	s.mu.Lock()
	got := slices.Clone(s.calls)
	s.mu.Unlock()
	if calls := strings.Join(got, "|"); calls != "connect|close g p1 m" {
		t.Errorf("session saw %q", calls)
	}

	p := startServer(t, newConnectorTransport[*plain](&testNet[*plain]{claims: &pb.Features{PollClose: true},
		mk: func(l LoginInfo) *plain { return &plain{info: l} }}), "")
	caps, err = p.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if caps.Features.PollClose {
		t.Error("a session without ClosePoll advertises poll_close")
	}
	connectLogin(t, p, "a")
	if e := send(t, p, closePoll("g", "p1"))[0].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		t.Errorf("without ClosePoll: %v, want UNSUPPORTED", e)
	}
}
