package signal_test

import (
	"encoding/json"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// An envelope the plugin cannot read (a field of another type than it
// reads, as a signal-cli update could write) is dropped, and the user
// is told with a notice of the account naming the sender, to look on
// the phone: the message is lost here. Before, only the log said it.
func TestDroppedEnvelopeTold(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	raw := `{"sourceNumber":"+15550000002","sourceUuid":"` + bobACI + `","timestamp":"yesterday","dataMessage":{"message":"lost"}}`
	d.DeliverRaw(alice, json.RawMessage(raw))
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("marker")}})
	var notices []*pb.Event
	s.next(func(ev *pb.Event) bool {
		if ev.GetMessage().GetText() == "lost" {
			t.Errorf("the unreadable envelope became a message: %v", ev)
		}
		if ev.GetNotice() != nil {
			notices = append(notices, ev)
		}
		return ev.GetMessage().GetText() == "marker"
	})
	if len(notices) != 1 {
		t.Fatalf("%d notices of the envelope dropped, want 1: %v", len(notices), notices)
	}
	ev := notices[0]
	if n := ev.GetNotice(); ev.ChatId != "" || ev.EventId == "" || n.Level != pb.NoticeLevel_NOTICE_LEVEL_WARNING ||
		!strings.Contains(n.Text, bob) || !strings.Contains(n.Text, "on your phone") {
		t.Fatalf("notice %v, want a warning naming bob and where to see the message", ev)
	}
}
