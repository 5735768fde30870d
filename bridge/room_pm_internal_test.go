package bridge

import (
	"context"
	"testing"

	"passerelle.im/passerelle/bridge/muc"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestPrivateChatKeptAcrossRestart: the member the user wrote to
// privately through a room is stored with the login, so that after a
// restart (a new session on the same store) the member's answers still
// come from its occupant JID; the room's end forgets it, in the store
// too.
func TestPrivateChatKeptAcrossRestart(t *testing.T) {
	tr, s, r := roomFixture(t)
	ctx := context.Background()
	s.notePrivateChat(ctx, "echo-1", r)
	ev := &pb.Event{LoginId: s.LoginID(), ChatId: "echo-1", Sender: &pb.Sender{UserId: "echo-1"}}
	if addr, _, pm, _ := s.privateAddr(ev, "echo-1@echo.localhost", nil); addr != "g1@echo.localhost/One" || !pm {
		t.Fatalf("answer from %q (pm %v), want the occupant g1@echo.localhost/One", addr, pm)
	}
	own := &pb.Event{LoginId: s.LoginID(), ChatId: "echo-1", Sender: &pb.Sender{UserId: "alice-echo", IsFromMe: true}}
	if addr, _, pm, _ := s.privateAddr(own, "echo-1@echo.localhost", nil); addr != "echo-1@echo.localhost" || pm {
		t.Errorf("the user's own words from another device from %q, want the member's own address", addr)
	}

	// A restart: a new session of the login, its room listed again.
	s2 := newSession(tr, s.Login())
	r2, _ := s2.rooms.add("g1", func() *room {
		return &room{chatID: "g1", jid: r.jid, members: map[string]*pb.Member{}, names: map[string]string{},
			nicks: muc.NewNicks(), joined: map[string]bool{}}
	})
	s2.updateRoom(ctx, r2, &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "G",
		Members: []*pb.Member{{UserId: "alice-echo"}, {UserId: "echo-1", Nick: "One"}}}, false)
	if addr, _, _, _ := s2.privateAddr(ev, "echo-1@echo.localhost", nil); addr != "g1@echo.localhost/One" {
		t.Fatalf("after a restart the answer comes from %q, want the occupant g1@echo.localhost/One", addr)
	}

	// The room ends: forgotten, after a restart too.
	_, turn := s2.dropRoom(ctx, r2, muc.AffiliationChanged, "you left the group")
	turn.done()
	if addr, _, _, _ := s2.privateAddr(ev, "echo-1@echo.localhost", nil); addr != "echo-1@echo.localhost" {
		t.Errorf("after the room ended the answer comes from %q", addr)
	}
	m, err := tr.db.PrivateChats(tr.name, s.LoginID())
	if err != nil || len(m) != 0 {
		t.Errorf("stored after the room ended: %v, %v", m, err)
	}
}
