package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A contact who changed their phone number (same ACI, a new number on
// their messages) moves to it, and their chat says so, as Signal's apps
// do. Before, the roster entry and chat moved without a word: the same
// name under a new address. Someone who is no contact (met in a group)
// moves without a notice: no chat comes for them.
func TestNumberChangeTold(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	if _, err := s.p.Client().ContactList(ctx, &pb.LoginRef{LoginId: s.loginID}); err != nil { // as the gateway at a connection
		t.Fatal(err)
	}
	const bobNew = "+15550000022"
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bobNew, SourceUUID: bobACI, SourceName: "Bob", DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("new phone")}})
	ev := s.next(func(ev *pb.Event) bool { return ev.GetIdentity() != nil })
	if id := ev.GetIdentity(); id.OldUserId != bob || id.GetContact().GetUserId() != bobNew {
		t.Fatalf("the move: %v", ev)
	}
	ev = s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if txt := ev.GetMessage().GetText(); ev.ChatId != bobNew || ev.GetSender().GetUserId() != bobNew ||
		!strings.Contains(txt, "Bob changed their phone number from "+bob+" to "+bobNew) {
		t.Fatalf("the notice: %v", ev)
	}
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.GetMessage().GetText() != "new phone" || ev.ChatId != bobNew {
		t.Fatalf("after the notice: %v", ev)
	}

	// Dave, known from a group only, changes his.
	const daveNew = "+15550000044"
	group := &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: daveNum, SourceUUID: daveACI, SourceName: "Dave", DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("hello group"), GroupInfo: group}})
	s.next(isText("hello group"))
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: daveNew, SourceUUID: daveACI, SourceName: "Dave", DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("still me"), GroupInfo: group}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetIdentity() != nil }); ev.GetIdentity().OldUserId != daveNum {
		t.Fatalf("dave's move: %v", ev)
	}
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.GetMessage().GetText() != "still me" {
		t.Fatalf("a notice for one who is no contact: %v", ev)
	}
}
