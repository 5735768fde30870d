package bridge

import (
	"context"
	"testing"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestOccupantIQFromNonOccupantTakesNoNick: an IQ to an occupant (or an
// answer to one) from a resource not joined, in a room where the user
// has no nick yet, is refused without giving the user one: the room
// looked up the user's own nick before its joined check, which made the
// login's name (Alice) the user's and held it, so that a member the
// network then listed as Alice was not Alice. Failed before.
func TestOccupantIQFromNonOccupantTakesNoNick(t *testing.T) {
	tr, s, _, sent := occupantFixture(t)
	ctx := context.Background()
	r, _ := s.rooms.add("g2", func() *room {
		return &room{chatID: "g2", jid: "g2@echo.localhost", members: map[string]*pb.Member{}, names: map[string]string{},
			nicks: muc.NewNicks(), joined: map[string]bool{}}
	})
	s.updateRoom(ctx, r, &pb.Chat{ChatId: "g2", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "G2",
		Members: []*pb.Member{{UserId: "echo-1", Nick: "One"}}}, false)
	for _, raw := range []string{
		`<iq from='alice@localhost/tablet' to='g2@echo.localhost/One' id='v1' type='get'><query xmlns='jabber:iq:version'/></iq>`,
		`<iq from='alice@localhost/tablet' to='g2@echo.localhost/One' id='l1' type='get'><query xmlns='jabber:iq:last'/></iq>`,
		`<iq from='alice@localhost/tablet' to='g2@echo.localhost/Alice' id='x1' type='result'/>`,
	} {
		if !occupantStanza(t, tr, raw) {
			t.Fatalf("not taken by the room: %s", raw)
		}
	}
	for _, st := range sent() {
		if cond, _ := st.ErrorCondition(); st.Type() == "error" && cond != string(wire.NotAcceptable) {
			t.Errorf("want not-acceptable for a resource not joined, got %s", st)
		}
	}
	r.mu.Lock()
	self := r.selfNick
	r.mu.Unlock()
	if self != "" {
		t.Errorf("a resource not joined gave the user the nick %q", self)
	}
	s.updateRoom(ctx, r, &pb.Chat{ChatId: "g2", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "G2",
		Members: []*pb.Member{{UserId: "echo-1", Nick: "One"}, {UserId: "echo-3", Nick: "Alice"}}}, false)
	r.mu.Lock()
	n, _ := r.nicks.Nick("echo-3")
	r.mu.Unlock()
	if n != "Alice" {
		t.Errorf("the member listed as Alice is %q", n)
	}
}
