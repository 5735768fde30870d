package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A message signal-cli could not decrypt because its sender's safety
// number changed (an UntrustedIdentityException beside an envelope of no
// content) is told, once, in the sender's chat: what happened and what
// to do; before, nothing came, and their messages went missing without
// a word. A message of theirs read again ends it: the next change is
// told again.
func TestUntrustedIdentityTold(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	isNotice := func(ev *pb.Event) bool {
		return strings.Contains(ev.GetMessage().GetText(), "safety number changed")
	}
	// notices delivers a message of bob's and counts the notices that
	// came before it.
	notices := func(marker string) int {
		t.Helper()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text(marker)}})
		n := 0
		s.next(func(ev *pb.Event) bool {
			if isNotice(ev) {
				n++
				if ev.ChatId != bob || ev.Sender.GetUserId() != bob || ev.EventId == "" ||
					!strings.Contains(ev.GetMessage().GetText(), "Mark as verified") {
					t.Errorf("notice %v, want one from bob in his chat saying what to do", ev)
				}
			}
			return ev.GetMessage().GetText() == marker
		})
		return n
	}
	d.DeliverUntrusted(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob"})
	d.DeliverUntrusted(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob"})
	if n := notices("read again"); n != 1 {
		t.Fatalf("%d notices of bob's changed safety number, want 1", n)
	}
	d.DeliverUntrusted(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob"})
	if n := notices("read again, again"); n != 1 {
		t.Fatalf("after a message read: %d notices, want 1 again", n)
	}

	// A send refused for it says what to do too.
	d.Fail(bob, "IDENTITY_FAILURE")
	if res := s.do(bob, &pb.SendMessage{Text: "x"}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED ||
		!strings.Contains(res.Error.GetText(), "Mark as verified") {
		t.Fatalf("a send refused for the safety number: %v", res.Error)
	}
}

// The change told outlives the plugin: after a restart, bob's next
// message that cannot be read tells nothing again (before, the told
// contacts were kept in memory only and the warning came once more);
// once a message of his is read, a new change of his safety number is
// told again.
func TestUntrustedIdentityToldOnceAcrossRestart(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	isNotice := func(ev *pb.Event) bool {
		return strings.Contains(ev.GetMessage().GetText(), "safety number changed")
	}
	// notices delivers a message of carol's (who never changed: the
	// marker) and counts bob's notices that came before it, each
	// occurrence once (a restart replays the events not acknowledged,
	// under their IDs, which the host drops).
	seen := map[string]bool{}
	notices := func(marker string) int {
		t.Helper()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text(marker)}})
		n := 0
		s.next(func(ev *pb.Event) bool {
			if isNotice(ev) && ev.ChatId == bob && !seen[ev.EventId] {
				seen[ev.EventId] = true
				n++
			}
			return ev.GetMessage().GetText() == marker
		})
		return n
	}
	d.DeliverUntrusted(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob"})
	if n := notices("first"); n != 1 {
		t.Fatalf("%d notices of bob's changed safety number, want 1", n)
	}
	s.crash()
	d.DeliverUntrusted(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob"})
	if n := notices("after the restart"); n != 0 {
		t.Fatalf("after a restart: %d notices of the change told before, want 0", n)
	}
	// A message of bob's read again: his next change is a new one.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("bob read")}})
	s.next(isText("bob read"))
	s.crash()
	d.DeliverUntrusted(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob"})
	if n := notices("a new change"); n != 1 {
		t.Fatalf("a new change after a restart: %d notices, want 1", n)
	}
}

// A read receipt refused because the author's safety number changed
// (their message read in a group before the change) tells it in their
// chat, once, as a refused message does: the user learns why nothing
// reaches them. Before, it was only logged.
func TestUntrustedReceiptTold(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, Message: fakesignal.Text("bob one"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	ev := s.next(isText("bob one"))
	d.Fail(bob, "IDENTITY_FAILURE")
	if res := s.do(group, &pb.MarkRead{UpToId: ev.EventId, UpToMeta: ev.Meta}); res.Error != nil {
		t.Fatalf("mark read: %v", res.Error)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("marker")}})
	n := 0
	s.next(func(ev *pb.Event) bool {
		if strings.Contains(ev.GetMessage().GetText(), "safety number changed") {
			n++
			if ev.ChatId != bob || !strings.Contains(ev.GetMessage().GetText(), "Mark as verified") {
				t.Errorf("notice %v, want one in bob's chat saying what to do", ev)
			}
		}
		return ev.GetMessage().GetText() == "marker"
	})
	if n != 1 {
		t.Fatalf("%d notices of bob's changed safety number after a receipt refused for it, want 1", n)
	}
}
