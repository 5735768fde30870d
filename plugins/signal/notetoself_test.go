package signal_test

import (
	"slices"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Note to Self, the chat with one's own number, is a contact named so:
// what the user writes there on the phone comes as theirs in it (sent
// carbons), and what they send to it from XMPP goes to signal-cli's note
// to self. Before, it had no contact: the phone's notes came in a chat
// with a bare number, in no roster.
func TestNoteToSelf(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	list, err := s.p.Client().ContactList(ctx, &pb.LoginRef{LoginId: s.loginID})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list.Contacts, func(c *pb.Contact) bool { return c.UserId == alice })
	if i < 0 || list.Contacts[i].Name != "Note to Self" || list.Contacts[i].Phone != alice {
		t.Fatalf("no Note to Self among the contacts: %v", list.Contacts)
	}
	// UserInfo of it is the user's own profile (the vCard of their own
	// nick in a room too): TestOwnUserInfo.
	if info, err := s.p.Client().UserInfo(ctx, &pb.UserRef{LoginId: s.loginID, UserId: alice}); err != nil || info.UserId != alice || info.Phone != alice {
		t.Fatalf("UserInfo of the user's own number: %v %v", info, err)
	}
	if c, err := s.p.Client().ResolveIdentifier(ctx, &pb.ResolveIdentifierRequest{LoginId: s.loginID, Identifier: alice}); err != nil || c.UserId != alice || c.Name != "Note to Self" {
		t.Fatalf("the user's own number resolved as %v %v", c, err)
	}

	// A note written on the phone: the user's own message in that chat.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{SentMessage: &fakesignal.SentMessage{
		DestinationNumber: alice, DestinationUUID: aliceACI, DataMessage: fakesignal.DataMessage{Message: fakesignal.Text("buy milk")}}}})
	if ev := s.next(isText("buy milk")); ev.ChatId != alice || !ev.GetSender().GetIsFromMe() || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT {
		t.Fatalf("a note from the phone came as %v", ev)
	}

	// One sent from XMPP goes to the user's own number, which signal-cli
	// sends as a note to self.
	if res := s.do(alice, &pb.SendMessage{Text: "call mum"}); res.Error != nil {
		t.Fatalf("a note sent from XMPP: %v", res.Error)
	}
	if req, _ := lastRequest(d, "send"); req.Params["message"] != "call mum" || !slices.Equal(anyStrings(req.Params["recipient"]), []string{alice}) {
		t.Fatalf("the note went as %v", req.Params)
	}
	// Typing there is said to no one (the apps say none in Note to
	// Self; signal-cli would send it to the user's own phone).
	if res := s.do(alice, &pb.SetTyping{State: pb.TypingState_TYPING_STATE_COMPOSING}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if n := d.Calls("sendTyping"); n != 0 {
		t.Fatalf("typing in Note to Self sent %d sendTyping", n)
	}
}
