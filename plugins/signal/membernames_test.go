package signal_test

import (
	"slices"
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
	if n := d.Calls("listContacts") - asked; n != 0 {
		t.Errorf("%d listContacts for dave's messages, want none (his messages name him)", n)
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

// chatNicks are the members' nicks of group in the chat list, as the
// gateway reads it at a connection.
func chatNicks(t *testing.T, s *session, group string) map[string]string {
	t.Helper()
	ctx, cancel := s.p.CallContext()
	defer cancel()
	list, err := s.p.Client().ChatList(ctx, &pb.LoginRef{LoginId: s.loginID})
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
	return nicks
}

// The members' names are read without having signal-cli refresh the
// profile of everyone the account ever met (listContacts with
// allRecipients and no recipient, slow on a large account): only the
// members not known yet are named, and once, a restart asking again
// for none.
func TestMemberNamesAskedSparingly(t *testing.T) {
	d, gid := startFake(t)
	d.SetContacts(alice, fakesignal.Contact{Number: bob, UUID: bobACI, Name: "Bob"},
		fakesignal.Contact{Number: carol, UUID: carolACI, Given: "Carol"},
		fakesignal.Contact{Number: daveNum, UUID: daveACI, Given: "Dave", Stranger: true})
	g, _ := d.GetGroup(alice, gid)
	g.Members = append(g.Members, fakesignal.Member{Number: daveNum, UUID: daveACI})
	d.SetGroup(alice, g)
	s := newSession(t, d)
	group := hexGroup(gid)
	if nicks := chatNicks(t, s, group); nicks[daveNum] != "Dave" || nicks[carol] != "Carol" || nicks[bob] != "" {
		t.Fatalf("nicks %q: want dave's and carol's profile names", nicks)
	}
	all := func() (whole, named int) {
		for _, r := range d.Requests(alice) {
			if r.Method != "listContacts" || r.Params["allRecipients"] != true {
				continue
			}
			if len(anyStrings(r.Params["recipient"])) == 0 {
				whole++
			} else {
				named++
			}
		}
		return whole, named
	}
	if whole, named := all(); whole != 0 || named != 1 {
		t.Fatalf("%d listContacts of everyone and %d naming members, want none and one", whole, named)
	}
	for _, r := range d.Requests(alice) {
		if r.Method == "listContacts" && r.Params["allRecipients"] == true && !slices.Contains(anyStrings(r.Params["recipient"]), daveNum) {
			t.Errorf("members asked %v, want dave among them", r.Params["recipient"])
		}
	}

	s.crash()
	if nicks := chatNicks(t, s, group); nicks[daveNum] != "Dave" {
		t.Fatalf("nicks after a restart %q: want dave's profile name", nicks)
	}
	if whole, named := all(); whole != 0 || named != 1 {
		t.Errorf("after a restart, %d listContacts of everyone and %d naming members, want none and the one before", whole, named)
	}
}

// A contact the user names in the phone's address book goes by that name
// in the rooms: the member's nick (their profile's name, while the user
// had saved none) is taken off, so that the gateway's contact rename
// names them there. Before, the room kept the profile's name.
func TestContactNamedOnPhoneInRooms(t *testing.T) {
	d, gid := startFake(t)
	d.SetContacts(alice, fakesignal.Contact{Number: bob, UUID: bobACI, Name: "Bob"},
		fakesignal.Contact{Number: carol, UUID: carolACI, Given: "Carol"})
	s := newSession(t, d)
	group := hexGroup(gid)
	if nicks := chatNicks(t, s, group); nicks[carol] != "Carol" {
		t.Fatalf("nicks %q: want carol's profile name", nicks)
	}

	d.SetContacts(alice, fakesignal.Contact{Number: bob, UUID: bobACI, Name: "Bob"},
		fakesignal.Contact{Number: carol, UUID: carolACI, Name: "Caroline", Given: "Carol"})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{Type: "CONTACTS_SYNC"}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("after the sync")}})
	var renamed, contact bool
	for {
		ev := s.next(func(ev *pb.Event) bool {
			return ev.GetMember().GetMember().GetUserId() == carol || ev.GetContact().GetContact().GetUserId() == carol ||
				ev.GetMessage().GetText() == "after the sync"
		})
		if ev.GetMessage() != nil {
			break
		}
		if m := ev.GetMember(); m != nil {
			if m.Kind != pb.MemberEvent_KIND_RENAMED || ev.ChatId != group || m.Member.Nick != "" {
				t.Fatalf("carol named on the phone: %v, want her nick taken off in the room", ev)
			}
			renamed = true
		}
		if c := ev.GetContact().GetContact(); c != nil {
			if c.Name != "Caroline" {
				t.Fatalf("carol's contact %v, want Caroline", c)
			}
			contact = true
		}
	}
	if !renamed || !contact {
		t.Fatalf("carol named on the phone: renamed in the room %v, contact told %v; want both", renamed, contact)
	}
	if nicks := chatNicks(t, s, group); nicks[carol] != "" {
		t.Errorf("carol's nick read again %q, want none (the contact's name)", nicks[carol])
	}
}
