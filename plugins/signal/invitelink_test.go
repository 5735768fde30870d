package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A group whose link is on gives it in ChatInfo (the room's "/link"); a
// group without one gives none, and ChatList gives no link at all (the
// contract names it in ChatInfo alone).
func TestGroupInviteLink(t *testing.T) {
	d, plain := startFake(t)
	const link = "https://signal.group/#CjQKIAb-c_9Z"
	linked := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: linked, Name: "Open", Link: link,
		Members: []fakesignal.Member{{Number: alice, UUID: aliceACI}, {Number: bob, UUID: bobACI, Admin: true}}})
	s := newSession(t, d)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	for gid, want := range map[string]string{linked: link, plain: ""} {
		chat, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: hexGroup(gid)})
		if err != nil || chat.InviteLink != want {
			t.Errorf("ChatInfo of %s: link %q, %v; want %q", gid, chat.GetInviteLink(), err, want)
		}
	}
	chats, err := s.p.Client().ChatList(ctx, &pb.LoginRef{LoginId: s.loginID})
	if err != nil || len(chats.GetChats()) != 2 {
		t.Fatalf("ChatList: %v %v", chats, err)
	}
	for _, c := range chats.Chats {
		if c.InviteLink != "" {
			t.Errorf("ChatList gives %s's link %q", c.ChatId, c.InviteLink)
		}
	}
}
