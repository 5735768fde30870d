package signal_test

import (
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// "/block" in a direct chat blocks them (signal-cli's block): nothing
// goes to them, they leave the contacts as one blocked on the phone
// does, and a send to them is refused until they are unblocked there.
// A signal-cli that blocks only on the primary device is UNSUPPORTED,
// saying to block on the phone. Before, "/block" went to them as a
// message.
func TestBlockFromXMPP(t *testing.T) {
	d, _ := startFake(t)
	zoe, zoeACI := "+15550000026", fakesignal.NewUUID()
	d.SetContacts(alice, fakesignal.Contact{Number: bob, UUID: bobACI, Name: "Bob"},
		fakesignal.Contact{Number: zoe, UUID: zoeACI, Given: "Zoe", Stranger: true, Request: true})
	s := newSession(t, d)
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: zoe, SourceUUID: zoeACI, Timestamp: at,
		DataMessage: &fakesignal.DataMessage{Timestamp: at, Message: fakesignal.Text("buy cheap watches")}})
	s.next(isText("buy cheap watches"))

	res := s.do(zoe, &pb.SendMessage{Text: "/block"})
	if res.Error != nil || !res.HandledAsCommand || !strings.Contains(res.CommandReply, "blocked") || res.MessageId != "" {
		t.Fatalf("/block: %v, want zoe blocked as a command (before: a message to her)", res)
	}
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetContactRemoved() != nil }); ev.GetContactRemoved().GetUserId() != zoe {
		t.Fatalf("after /block: %v, want zoe out of the contacts", ev)
	}
	sends := 0
	for _, r := range d.Requests(alice) {
		switch r.Method {
		case "send":
			sends++
		case "block":
			if got := anyStrings(r.Params["recipient"]); !slices.Equal(got, []string{zoe}) {
				t.Errorf("block of %v, want zoe", got)
			}
		}
	}
	if sends != 0 || d.Calls("block") != 1 {
		t.Fatalf("/block: %d sends and %d blocks, want none and one", sends, d.Calls("block"))
	}
	if res := s.do(zoe, &pb.SendMessage{Text: "are you still there?"}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Fatalf("a message to zoe once blocked: %v, want NOT_ALLOWED", res)
	}

	d.FailNext("block", -1, "This command doesn't work on linked devices.")
	res = s.do(bob, &pb.SendMessage{Text: "/block"})
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED || !strings.Contains(res.Error.GetText(), "block them on your phone") {
		t.Fatalf("/block refused by signal-cli on a linked device: %v, want UNSUPPORTED saying to block on the phone", res)
	}
}
