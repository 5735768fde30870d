package sdk

import (
	"context"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// reasonLeaver is a rich session that leaves with the user's words.
type reasonLeaver struct{ rich }

func (l *reasonLeaver) LeaveChat(_ context.Context, c Call) error {
	l.log("leave " + c.ChatID)
	return nil
}

func (l *reasonLeaver) LeaveChatReason(_ context.Context, c Call, reason string) error {
	l.log("leave " + c.ChatID + " saying " + reason)
	return nil
}

// LeaveChat's reason reaches a ReasonLeaver's LeaveChatReason, the
// empty one too.
func TestLeaveChatReason(t *testing.T) {
	var s *reasonLeaver
	c := startServer(t, newConnectorTransport[*reasonLeaver](&testNet[*reasonLeaver]{mk: func(l LoginInfo) *reasonLeaver {
		s = &reasonLeaver{rich{plain{info: l}}}
		return s
	}}), "")
	if _, err := c.Init(testContext(t), &pb.InitRequest{}); err != nil {
		t.Fatal(err)
	}
	connectLogin(t, c, "a")
	for _, reason := range []string{"bye", ""} {
		cmd := &pb.Command{LoginId: "a", ChatId: "g", Action: &pb.Command_Leave{Leave: &pb.LeaveChat{Reason: reason}}}
		if res := send(t, c, cmd); res[0].Error != nil {
			t.Errorf("leave g: %v", res[0].Error)
		}
	}
	s.mu.Lock()
	got := slices.Clone(s.calls)
	s.mu.Unlock()
	if calls := strings.Join(got, "|"); calls != "connect|leave g saying bye|leave g saying " {
		t.Errorf("session saw %q", calls)
	}
}
