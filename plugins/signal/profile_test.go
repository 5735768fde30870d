package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A contact who renamed themselves (and changed their picture) is told
// anew when a message of theirs names them differently: signal-cli
// refreshes a profile as it reads the contact's messages, and the
// gateway asks for the contact list only at a connection, so the roster
// kept the old name and picture until then. An unchanged name asks
// nothing again.
func TestContactRenamedSeenInMessage(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	list, err := s.p.Client().ContactList(ctx, &pb.LoginRef{LoginId: s.loginID}) // as the gateway at a connection
	if err != nil {
		t.Fatal(err)
	}
	var before *pb.Contact
	for _, c := range list.Contacts {
		if c.UserId == bob {
			before = c
		}
	}
	say := func(name, text string) {
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: name, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text(text)}})
	}
	isBobOrText := func(text string) func(*pb.Event) bool {
		return func(ev *pb.Event) bool {
			return ev.GetContact().GetContact().GetUserId() == bob || ev.GetMessage().GetText() == text
		}
	}

	say("Bob", "same name")
	if ev := s.next(isBobOrText("same name")); ev.GetMessage() == nil {
		t.Fatalf("a message under the name told: %v, want no contact event", ev)
	}
	asked := d.Calls("listContacts")

	d.SetContacts(alice, fakesignal.Contact{Number: bob, UUID: bobACI, Name: "Robert", Avatar: []byte("new picture"), AvatarTS: 1800000000000},
		fakesignal.Contact{Number: carol, UUID: carolACI, Given: "Carol"})
	say("Robert", "new name")
	ev := s.next(isBobOrText("new name"))
	if c := ev.GetContact().GetContact(); c.GetName() != "Robert" || c.AvatarId == "" || c.AvatarId == before.GetAvatarId() {
		t.Fatalf("bob renamed, with a new picture: %v, want him told anew (was %v)", ev, before)
	}
	s.next(isText("new name"))
	say("Robert", "again")
	if ev := s.next(isBobOrText("again")); ev.GetMessage() == nil {
		t.Fatalf("a message under the new name: %v, want no contact event", ev)
	}
	if n := d.Calls("listContacts") - asked; n != 1 {
		t.Errorf("%d listContacts for bob's three messages, want 1 (at the rename)", n)
	}
}
