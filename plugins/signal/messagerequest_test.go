package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A message from a stranger (a message request on Signal: not in the
// address book, never written to, not accepted on the phone) marked
// read tells them nothing, nor does the user's typing, as Signal's apps
// tell a request's sender nothing until it is accepted. Once the user
// answers (which accepts it, signal-cli sharing the profile), a mark
// read sends receipts again. Before, the stranger got a read receipt and
// the typing.
func TestMessageRequestNotToldRead(t *testing.T) {
	d, _ := startFake(t)
	zoe, zoeACI := "+15550000026", fakesignal.NewUUID()
	d.SetContacts(alice, fakesignal.Contact{Number: bob, UUID: bobACI, Name: "Bob"},
		fakesignal.Contact{Number: zoe, UUID: zoeACI, Given: "Zoe", Stranger: true, Request: true})
	s := newSession(t, d)
	say := func(text string) *pb.Event {
		t.Helper()
		at := d.Now()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: zoe, SourceUUID: zoeACI, SourceName: "Zoe", Timestamp: at,
			DataMessage: &fakesignal.DataMessage{Timestamp: at, Message: fakesignal.Text(text)}})
		return s.next(isText(text))
	}
	readReceipts := func() int {
		n := 0
		for _, r := range d.Requests(alice) {
			if r.Method == "sendReceipt" && r.Params["type"] == "read" {
				n++
			}
		}
		return n
	}

	m := say("hello, we met at the conference")
	if res := s.do(zoe, &pb.MarkRead{UpToId: m.EventId, UpToMeta: m.Meta}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if res := s.do(zoe, &pb.SetTyping{State: pb.TypingState_TYPING_STATE_COMPOSING}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if n := readReceipts(); n != 0 || d.Calls("sendTyping") != 0 {
		t.Fatalf("a message request read and typed in: %d read receipts, %d typing, want none", n, d.Calls("sendTyping"))
	}

	// The user answers: the request is accepted.
	if res := s.do(zoe, &pb.SendMessage{Text: "hi Zoe!"}); res.Error != nil {
		t.Fatal(res.Error)
	}
	m = say("great to hear from you")
	if res := s.do(zoe, &pb.MarkRead{UpToId: m.EventId, UpToMeta: m.Meta}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if n := readReceipts(); n != 1 {
		t.Fatalf("after the user answered: %d read receipts, want 1", n)
	}
}
