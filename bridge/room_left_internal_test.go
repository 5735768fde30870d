package bridge

import (
	"context"
	"strings"
	"testing"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestLeftGroupJoinRefused: after the network removed the user from a
// group (kicked, banned), a join of its room is refused as XEP-0045
// says of a user not a member (registration-required, §7.2.5) or banned
// (forbidden, §7.2.7), saying so; once the group is a room again (the
// user added back), nothing is refused. The store keeps the groups left
// (a restart finds them: TestRoomLeftKeptAcrossRestart) and forgets one
// that is a room again.
func TestLeftGroupJoinRefused(t *testing.T) {
	for _, tc := range []struct {
		reason pb.ChatRemovedEvent_Reason
		cond   wire.Condition
		words  string
	}{
		{pb.ChatRemovedEvent_REASON_LEFT, wire.RegistrationRequired, "you left"},
		{pb.ChatRemovedEvent_REASON_KICKED, wire.RegistrationRequired, "removed"},
		{pb.ChatRemovedEvent_REASON_BANNED, wire.Forbidden, "banned"},
	} {
		t.Run(tc.reason.String(), func(t *testing.T) {
			tr, s, _, sent := occupantFixture(t)
			sent()
			var turn sendTurn
			tr.renderRoom(context.Background(), delivery{ev: groupEv(&pb.ChatRemovedEvent{Reason: tc.reason}), turn: &turn}, s)
			turn.done()
			st, err := wire.Parse(`<presence from='alice@localhost/phone' to='g1@echo.localhost/Alice' id='j1'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
			if err != nil {
				t.Fatal(err)
			}
			if !s.refuseLeftJoin(context.Background(), st, "g1", jid.MustParse(st.To())) {
				t.Fatal("a join of the group the user is out of not refused as such")
			}
			if m, err := tr.db.LeftGroups(tr.name, s.LoginID()); err != nil || m["g1"].Cond != string(tc.cond) {
				t.Fatalf("the group left stored as %+v (%v), want %s", m["g1"], err, tc.cond)
			}
			cond, text := errorOf(t, sent())
			if cond != string(tc.cond) || !strings.Contains(text, tc.words) || !strings.Contains(text, "no longer a member") {
				t.Errorf("refused %s %q, want %s saying %q", cond, text, tc.cond, tc.words)
			}
			if s.rooms.get("g1") != nil {
				t.Fatal("the room kept after the user is out of its group")
			}
			s.setRoom(context.Background(), &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "again"})
			if s.rooms.get("g1") == nil {
				t.Fatal("the group not a room again")
			}
			if s.refuseLeftJoin(context.Background(), st, "g1", jid.MustParse(st.To())) {
				t.Error("a join refused after the group became a room again")
			}
			if m, err := tr.db.LeftGroups(tr.name, s.LoginID()); err != nil || len(m) != 0 {
				t.Errorf("the group a room again still stored as left: %v (%v)", m, err)
			}
		})
	}
}

// TestUnknownGroupRemovedJoinRefused: the network's end of a group whose
// room the session does not know (the user was removed while the
// gateway was down: the network's event comes after a chat list that no
// longer has the group) is noted as the end of a known room is: a join
// of its room is refused saying the user was removed. Before, it was
// item-not-found, a room that does not exist.
func TestUnknownGroupRemovedJoinRefused(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	s.rooms.remove(r.chatID) // not in the chat list
	sent()
	var turn sendTurn
	tr.renderRoom(context.Background(), delivery{ev: groupEv(&pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_KICKED}), turn: &turn}, s)
	turn.done()
	st, err := wire.Parse(`<presence from='alice@localhost/phone' to='g1@echo.localhost/Alice' id='j1'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	if err != nil {
		t.Fatal(err)
	}
	if !s.refuseLeftJoin(context.Background(), st, "g1", jid.MustParse(st.To())) {
		t.Fatal("a join of a group the user was removed from, the room unknown, not refused as such")
	}
	if cond, text := errorOf(t, sent()); cond != string(wire.RegistrationRequired) || !strings.Contains(text, "removed") {
		t.Errorf("refused %s %q, want registration-required saying the user was removed", cond, text)
	}
}
