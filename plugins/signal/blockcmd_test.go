package signal_test

import (
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// "/block yes" in a direct chat blocks them (signal-cli's block): nothing
// goes to them, they leave the contacts as one blocked on the phone
// does, and a send to them is refused until they are unblocked there.
// A signal-cli that blocks only on the primary device is UNSUPPORTED,
// saying to block on the phone. A bare "/block" only says so, asking
// to confirm. Before, "/block" went to them as a message.
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

	// A bare "/block" blocks nothing: only the phone unblocks, so it
	// asks for "/block yes" (before: blocked at once).
	for _, text := range []string{"/block", "/block please"} {
		res := s.do(zoe, &pb.SendMessage{Text: text})
		if res.Error != nil || !res.HandledAsCommand || !strings.Contains(res.CommandReply, `"/block yes"`) || !strings.Contains(res.CommandReply, "//block") || res.MessageId != "" {
			t.Fatalf("%s: %v, want a command answered with how to confirm", text, res)
		}
	}
	if n := d.Calls("block") + d.Calls("send"); n != 0 {
		t.Fatalf("/block unconfirmed: %d blocks and sends, want none (before: blocked at once)", n)
	}

	res := s.do(zoe, &pb.SendMessage{Text: "/block YES"})
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
	res = s.do(bob, &pb.SendMessage{Text: "/block yes"})
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED || !strings.Contains(res.Error.GetText(), "block them on your phone") {
		t.Fatalf("/block refused by signal-cli on a linked device: %v, want UNSUPPORTED saying to block on the phone", res)
	}
}

// "//block" and "//trust" typed to a contact go to them as "/block" and
// "/trust", text, the way to send what would be read as a command;
// "// note" goes as typed. Before, "//block" went with both slashes.
func TestEscapedChatCommandSent(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	for _, tc := range [][2]string{{"//block", "/block"}, {"//trust me", "/trust me"}, {"// note", "// note"}} {
		res := s.do(bob, &pb.SendMessage{Text: tc[0]})
		if res.Error != nil || res.HandledAsCommand || res.MessageId == "" {
			t.Fatalf("%q: %v, want a message sent", tc[0], res)
		}
		if got := sentTexts(d, bob); !slices.Contains(got, tc[1]) {
			t.Fatalf("%q: signal-cli got %q for bob, want %q", tc[0], got, tc[1])
		}
	}
	if n := d.Calls("block") + d.Calls("trust"); n != 0 {
		t.Fatalf("escaped commands: %d blocks and trusts, want none", n)
	}
}
