package signal_test

import (
	"encoding/json"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"

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

// An unreadable envelope of another account of signal-cli's (one linked
// since, whose first envelopes come on alice's subscription) is told to
// that account's login, once it connects, not to alice: the message is
// not hers, nor its sender her contact. Before, alice's notice named the
// other account's sender to her, as long as her session had not learnt
// that the account was another's, and the other login was never told.
func TestDroppedEnvelopeOfAnotherAccountToldToIt(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	done := linkAccount(t, s.p, d, carol, carolACI)
	raw := `{"sourceNumber":"+15550000002","sourceUuid":"` + bobACI + `","timestamp":"yesterday","dataMessage":{"message":"lost"}}`
	d.DeliverRaw(carol, json.RawMessage(raw))
	// alice's connection handles in order: carol's envelope was read
	// once alice's own message is shown.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("alice's marker")}})
	s.next(func(ev *pb.Event) bool {
		if ev.LoginId == s.loginID && ev.GetNotice() != nil {
			t.Errorf("alice told of another account's envelope: %v", ev)
		}
		return ev.LoginId == s.loginID && ev.GetMessage().GetText() == "alice's marker"
	})

	ctx, cancel := s.p.CallContext()
	defer cancel()
	if _, err := s.p.Client().Connect(ctx, &pb.ConnectRequest{LoginId: done.LoginId, UserJid: plugintest.UserJID, SavedState: done.SavedState, LoginDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	ev := s.next(func(ev *pb.Event) bool {
		if ev.LoginId == s.loginID && ev.GetNotice() != nil {
			t.Errorf("alice told of another account's envelope: %v", ev)
		}
		return ev.LoginId == done.LoginId && ev.GetNotice() != nil
	})
	if !strings.Contains(ev.GetNotice().GetText(), bob) {
		t.Fatalf("carol's notice %v, want one naming bob", ev)
	}
}
