package signal_test

import (
	"encoding/json"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A captcha Signal's spam check asks for is told as a notice of the
// account, once per challenge, whatever send met it: a reaction's error
// is easily missed, and a message's only says it on that message.
// Before, only the log gave it (to the admin).
func TestCaptchaToldAsNotice(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("react to me")}})
	ts := s.next(isText("react to me")).TimestampUnixMicro / 1000
	d.Fail(bob, "PROOF_REQUIRED")

	meta, _ := json.Marshal(map[string]any{"a": bob, "t": ts})
	if res := s.do(bob, &pb.React{TargetId: itoa(ts), TargetMeta: meta, Emojis: []string{"👍"}}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_RATE_LIMITED {
		t.Fatalf("a reaction under a captcha challenge: %v", res.Error)
	}
	if res := s.do(bob, &pb.SendMessage{Text: "x"}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_RATE_LIMITED {
		t.Fatalf("a message under a captcha challenge: %v", res.Error)
	}
	// Told by the first send; the second, under the same challenge,
	// tells it again under the same ID at most (the gateway drops it).
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("marker")}})
	ids := map[string]bool{}
	s.next(func(ev *pb.Event) bool {
		if n := ev.GetNotice(); n != nil {
			if ev.ChatId != "" || ev.EventId == "" || n.Level != pb.NoticeLevel_NOTICE_LEVEL_WARNING ||
				!strings.Contains(n.Text, "captcha") || !strings.Contains(n.Text, "on your phone") {
				t.Errorf("notice %v, want a warning of the account saying what to do", ev)
			}
			ids[ev.EventId] = true
		}
		return ev.GetMessage().GetText() == "marker"
	})
	if len(ids) != 1 {
		t.Fatalf("the captcha told under %d IDs, want 1", len(ids))
	}
}
