package sdk

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// timerSetter is a rich session that also sets chats' timers.
type timerSetter struct{ rich }

func (ts *timerSetter) SetChatTimer(_ context.Context, c Call, ttl time.Duration) error {
	ts.log("timer " + c.ChatID + " " + ttl.String())
	return nil
}

// SetChatTimer: the feature chat_timer follows the session type; the
// command reaches the session with its length (0: off); a negative one
// is refused before it; a chat whose limits leave chat_timer out
// refuses it as NOT_ALLOWED; a session without it answers UNSUPPORTED,
// even when it claims the feature.
func TestSetChatTimer(t *testing.T) {
	var s *timerSetter
	c := startServer(t, newConnectorTransport[*timerSetter](&testNet[*timerSetter]{mk: func(l LoginInfo) *timerSetter {
		s = &timerSetter{rich{plain{info: l}}}
		return s
	}}), "")
	caps, err := c.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !caps.Features.ChatTimer {
		t.Errorf("features %v: want chat_timer", caps.Features)
	}
	connectLogin(t, c, "a")
	timer := func(chat string, secs int64) *pb.Command {
		return &pb.Command{LoginId: "a", ChatId: chat, Action: &pb.Command_SetTimer{SetTimer: &pb.SetChatTimer{Seconds: secs}}}
	}
	res := send(t, c, timer("g", 86400), timer("g", 0), timer("g", -1), timer("quiet", 60))
	if res[0].Error != nil || res[1].Error != nil {
		t.Errorf("timer in g: %v %v", res[0].Error, res[1].Error)
	}
	if e := res[2].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("a negative timer: %v, want BAD_REQUEST", e)
	}
	if e := res[3].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(e.GetText(), "disappearing") {
		t.Errorf("timer in quiet: %v, want NOT_ALLOWED about disappearing messages", e)
	}
	s.mu.Lock()
	got := slices.Clone(s.calls)
	s.mu.Unlock()
	if calls := strings.Join(got, "|"); calls != "connect|timer g 24h0m0s|timer g 0s" {
		t.Errorf("session saw %q", calls)
	}

	p := startServer(t, newConnectorTransport[*plain](&testNet[*plain]{claims: &pb.Features{ChatTimer: true},
		mk: func(l LoginInfo) *plain { return &plain{info: l} }}), "")
	caps, err = p.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if caps.Features.ChatTimer {
		t.Error("a session without SetChatTimer advertises chat_timer")
	}
	connectLogin(t, p, "a")
	if e := send(t, p, timer("g", 60))[0].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		t.Errorf("without SetChatTimer: %v, want UNSUPPORTED", e)
	}
}
