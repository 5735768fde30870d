package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// isSafetyNotice reports whether ev is the notice of a changed safety
// number.
func isSafetyNotice(ev *pb.Event) bool {
	return strings.Contains(ev.GetMessage().GetText(), "safety number changed")
}

// A contact's changed safety number is accepted from XMPP as Signal's
// apps accept it: "/trust" typed in their chat (signal-cli's trust with
// trustAllKnownKeys), or "/trust" and the 60 digits compared with theirs
// (verifiedSafetyNumber). It is a command, no message: its answer is
// the user's alone. Sends go to them again, and what they sent
// meanwhile, which signal-cli kept, comes. Before, only the phone could
// accept it, and "/trust" went to the contact as text.
func TestTrustChangedSafetyNumber(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.Fail(bob, "IDENTITY_FAILURE")
	d.DeliverUntrusted(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob",
		DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("sent while untrusted")}})
	ev := s.next(isSafetyNotice)
	if ev.ChatId != bob || !strings.Contains(ev.GetMessage().Text, "/trust") {
		t.Fatalf("the notice %v, want one in bob's chat saying to send /trust", ev)
	}
	res := s.do(bob, &pb.SendMessage{Text: "hello"})
	wantRefused(t, "a send to bob, untrusted", res, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "safety number", "/trust")

	// Refused before signal-cli is asked: no safety number.
	res = s.do(bob, &pb.SendMessage{Text: "/trust 12345"})
	wantRefused(t, "/trust with a few digits", res, pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "60 digits")
	// Refused by signal-cli: not bob's.
	wrong := strings.Repeat("11111 ", 12)
	res = s.do(bob, &pb.SendMessage{Text: "/trust " + wrong})
	wantRefused(t, "/trust with another safety number", res, pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "not the safety number")
	if _, ok := lastRequest(d, "send"); ok {
		t.Fatal("a /trust went to bob as a message")
	}

	res = s.do(bob, &pb.SendMessage{Text: "/Trust"})
	if res.Error != nil || !res.HandledAsCommand || !strings.Contains(res.CommandReply, "accepted") || res.MessageId != "" {
		t.Fatalf("/trust: %v, want a command answered, no message", res)
	}
	if r, ok := lastRequest(d, "trust"); !ok || r.Params["recipient"] != bob || r.Params["trustAllKnownKeys"] != true {
		t.Fatalf("the trust asked: %v, want trust of bob with trustAllKnownKeys", r.Params)
	}
	s.next(isText("sent while untrusted"))
	if res := s.do(bob, &pb.SendMessage{Text: "hello again"}); res.Error != nil {
		t.Fatalf("a send to bob once trusted: %v", res.Error)
	}

	// The safety number compared goes as verifiedSafetyNumber.
	number := fakesignal.SafetyNumber(alice, carol)
	res = s.do(carol, &pb.SendMessage{Text: "/trust " + number})
	if res.Error != nil || !res.HandledAsCommand || !strings.Contains(res.CommandReply, "verified") {
		t.Fatalf("/trust with carol's safety number: %v", res)
	}
	if r, _ := lastRequest(d, "trust"); r.Params["recipient"] != carol || r.Params["verifiedSafetyNumber"] != strings.ReplaceAll(number, " ", "") {
		t.Fatalf("the trust asked: %v, want carol's with her safety number", r.Params)
	}
}

// A send refused for a changed safety number is told in the contact's
// chat too, once until a message of theirs is read: the error on the
// message alone is easily missed, and the user would not know why
// nothing reaches them. Before, only the error said it.
func TestUntrustedSendTold(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.Fail(carol, "IDENTITY_FAILURE")
	for range 2 {
		res := s.do(carol, &pb.SendMessage{Text: "hi"})
		wantRefused(t, "a send to carol, untrusted", res, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "/trust")
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("marker")}})
	n := 0
	s.next(func(ev *pb.Event) bool {
		if isSafetyNotice(ev) {
			n++
			if ev.ChatId != carol || !strings.Contains(ev.GetMessage().Text, "/trust") {
				t.Errorf("the notice %v, want one in carol's chat saying to send /trust", ev)
			}
		}
		return isText("marker")(ev)
	})
	if n != 1 {
		t.Fatalf("%d notices of carol's changed safety number after two sends refused, want 1", n)
	}
}

// /trust for a contact whose safety number signal-cli has not learnt
// yet (no message from or to them) says so, whether typed alone or with
// 60 digits: signal-cli refuses both alike, and the digits' refusal
// read as "not their safety number, compare again", which no comparing
// fixes.
func TestTrustNoSafetyNumberYet(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	const dave = "+15550000009"
	d.NoIdentity(dave)
	for _, cmd := range []string{"/trust", "/trust " + fakesignal.SafetyNumber(alice, dave)} {
		res := s.do(dave, &pb.SendMessage{Text: cmd})
		wantRefused(t, cmd+" for a contact of no known safety number", res, pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no safety number of "+dave+" yet", "first message")
	}
	if _, ok := lastRequest(d, "send"); ok {
		t.Fatal("a /trust went to dave as a message")
	}
}

// /trust after a change seen only on receive, before signal-cli learnt
// the new key (its fetch of the sender's profile, which carries it,
// failed): signal-cli would trust the key it had and answer so, their
// messages kept still unreadable and sends to them still refused. The
// plugin says the new safety number is not known yet and how it comes,
// and asks no trust. Once signal-cli has it (their next message, its
// fetch through), /trust accepts it and what they sent comes. Before,
// the first /trust answered "accepted ... what they sent meanwhile
// comes now", and nothing came.
func TestTrustBeforeNewKeyLearnt(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.Fail(bob, "IDENTITY_FAILURE")
	d.ProfileFetchFails(bob, true)
	d.DeliverUntrusted(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob",
		DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("kept, key unknown")}})
	s.next(isSafetyNotice)
	for _, cmd := range []string{"/trust", "/trust " + fakesignal.SafetyNumber(alice, bob)} {
		res := s.do(bob, &pb.SendMessage{Text: cmd})
		wantRefused(t, cmd+" before signal-cli learnt bob's new key", res, pb.ErrorCode_ERROR_CODE_NOT_FOUND, "new safety number", "not learnt", "/trust again")
	}
	if _, ok := lastRequest(d, "trust"); ok {
		t.Fatal("a trust was asked of signal-cli, which has bob's old key only")
	}

	d.ProfileFetchFails(bob, false)
	d.DeliverUntrusted(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob",
		DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("kept, key learnt")}})
	if res := s.do(bob, &pb.SendMessage{Text: "/trust"}); res.Error != nil || !strings.Contains(res.GetCommandReply(), "accepted") {
		t.Fatalf("/trust once the new key is learnt: %v", res)
	}
	got := map[string]bool{}
	s.next(func(ev *pb.Event) bool {
		if t := ev.GetMessage().GetText(); strings.HasPrefix(t, "kept, key") {
			got[t] = true
		}
		return len(got) == 2
	})
}
