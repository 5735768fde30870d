package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A group member who is none of the user's contacts goes by their
// profile's name in the room, and a rename of theirs (a message under
// another name) renames them there: before, such a member went by their
// number, the gateway knowing names of contacts alone. A member the
// user saved a name for keeps the contact's name (no nick).
func TestMemberRenamedInRooms(t *testing.T) {
	d, gid := startFake(t)
	contacts := func(dave string) {
		d.SetContacts(alice, fakesignal.Contact{Number: bob, UUID: bobACI, Name: "Bob"},
			fakesignal.Contact{Number: carol, UUID: carolACI, Given: "Carol"},
			fakesignal.Contact{Number: daveNum, UUID: daveACI, Given: dave, Stranger: true})
	}
	contacts("Dave")
	g, _ := d.GetGroup(alice, gid)
	g.Members = append(g.Members, fakesignal.Member{Number: daveNum, UUID: daveACI})
	d.SetGroup(alice, g)
	s := newSession(t, d)
	group := hexGroup(gid)

	ctx, cancel := s.p.CallContext()
	defer cancel()
	list, err := s.p.Client().ChatList(ctx, &pb.LoginRef{LoginId: s.loginID}) // as the gateway at a connection
	if err != nil {
		t.Fatal(err)
	}
	nicks := map[string]string{}
	for _, c := range list.Chats {
		if c.ChatId == group {
			for _, m := range c.Members {
				nicks[m.UserId] = m.Nick
			}
		}
	}
	if len(nicks) != 4 || nicks[daveNum] != "Dave" || nicks[carol] != "Carol" || nicks[bob] != "" || nicks[alice] != "" {
		t.Fatalf("nicks %q: want dave's and carol's profile names, bob's contact name (none)", nicks)
	}

	say := func(name, text string) {
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: daveNum, SourceUUID: daveACI, SourceName: name, DataMessage: &fakesignal.DataMessage{
			Message: fakesignal.Text(text), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	}
	renamedOrText := func(text string) func(*pb.Event) bool {
		return func(ev *pb.Event) bool {
			return ev.GetMember().GetKind() == pb.MemberEvent_KIND_RENAMED || ev.GetMessage().GetText() == text
		}
	}
	say("Dave", "same name")
	if ev := s.next(renamedOrText("same name")); ev.GetMessage() == nil {
		t.Fatalf("a message under the name known: %v, want no rename", ev)
	}
	asked := d.Calls("listContacts")

	contacts("David")
	say("David", "new name")
	ev := s.next(renamedOrText("new name"))
	if m := ev.GetMember().GetMember(); ev.ChatId != group || m.GetUserId() != daveNum || m.GetNick() != "David" {
		t.Fatalf("dave renamed himself: %v, want him renamed in the room before his message", ev)
	}
	s.next(isText("new name"))
	say("David", "again")
	if ev := s.next(renamedOrText("again")); ev.GetMessage() == nil {
		t.Fatalf("a message under the new name: %v, want no rename", ev)
	}
	if n := d.Calls("listContacts") - asked; n != 1 {
		t.Errorf("%d listContacts for dave's messages, want 1 (at the rename)", n)
	}

	// The group read again keeps the new nick.
	info, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range info.GetMembers() {
		if m.UserId == daveNum && m.Nick != "David" {
			t.Errorf("dave's nick read again %q, want David", m.Nick)
		}
	}
}
