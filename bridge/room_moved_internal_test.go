package bridge

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestJoinMovedRoomGone: after the network moved a group to a new chat
// (Telegram's supergroup), a join of the old room (a stale bookmark) or
// a message to it is answered gone, with the new room's address to join
// (RFC 6120 §8.3.3.5), not taken to the old group, which takes nothing
// any more.
func TestJoinMovedRoomGone(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	ev := &pb.Event{LoginId: s.LoginID(), ChatId: r.chatID, ChatType: pb.ChatType_CHAT_TYPE_GROUP,
		Payload: &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{ReplacedBy: "g2"}}}
	tr.renderRoom(context.Background(), delivery{ev: ev}, s)
	for _, raw := range []string{
		`<presence from='alice@localhost/phone' to='g1@echo.localhost/Alice' id='j1'><x xmlns='http://jabber.org/protocol/muc'/></presence>`,
		`<message from='alice@localhost/phone' to='g1@echo.localhost' id='m1' type='groupchat'><body>still there?</body></message>`,
	} {
		before := len(sent())
		if !occupantStanza(t, tr, raw) {
			t.Fatalf("not taken by the room path: %s", raw)
		}
		got := sent()[before:]
		cond, text := errorOf(t, got)
		if cond != string(wire.Gone) || !strings.Contains(text, "g2@echo.localhost") {
			t.Errorf("%s: got %s %q, want gone naming g2@echo.localhost", raw, cond, text)
		}
		var redirect string
		for _, st := range got {
			if e := st.Child("", "error"); e != nil {
				if g := e.Child("urn:ietf:params:xml:ns:xmpp-stanzas", "gone"); g != nil {
					redirect = g.Text
				}
			}
		}
		if redirect != "xmpp:g2@echo.localhost?join" {
			t.Errorf("%s: gone's address %q", raw, redirect)
		}
	}
}

// TestUnknownRoomMovedGone: the move of a group whose room the session
// does not know (the event delivered again after a restart, before the
// room list was read) is recorded all the same: a later join of the old
// room is answered gone, naming the new one. It was dropped unseen, and
// the stale bookmark's join reached the old group.
func TestUnknownRoomMovedGone(t *testing.T) {
	tr, s, _, sent := occupantFixture(t)
	ev := &pb.Event{LoginId: s.LoginID(), ChatId: "g7", ChatType: pb.ChatType_CHAT_TYPE_GROUP,
		Payload: &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{ReplacedBy: "g8"}}}
	tr.renderRoom(context.Background(), delivery{ev: ev}, s)
	raw := `<presence from='alice@localhost/phone' to='g7@echo.localhost/Alice' id='j7'><x xmlns='http://jabber.org/protocol/muc'/></presence>`
	before := len(sent())
	if !occupantStanza(t, tr, raw) {
		t.Fatalf("not taken by the room path: %s", raw)
	}
	if cond, text := errorOf(t, sent()[before:]); cond != string(wire.Gone) || !strings.Contains(text, "g8@echo.localhost") {
		t.Errorf("join of the old room: %s %q, want gone naming g8@echo.localhost", cond, text)
	}
}
