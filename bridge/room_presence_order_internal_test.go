package bridge

import (
	"context"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestMemberAvailabilityInTurn: a member's new availability on the
// network (away) goes to its occupant in the room's order of writes:
// after the copies of a message archived before it. Before, it was
// written at once, ahead of the message still waiting for its turn.
func TestMemberAvailabilityInTurn(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	sent()
	out, turn := renderHeld(t, tr, s, "on its way")
	whileHeld(t, tr, r, out, turn, func() {
		s.rememberPresence("echo-1", &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AWAY})
		s.memberAvailability(context.Background(), "echo-1")
	})
	got := sent()
	msg := indexOf(got, isHeld)
	away := indexOf(got, func(st *wire.Stanza) bool {
		return st.Kind() == "presence" && st.From() == "g1@echo.localhost/One" && st.Child("", "show") != nil
	})
	if msg < 0 || away < 0 || msg > away {
		t.Fatalf("message at %d, the member's away presence at %d: want the message first; sent %v", msg, away, got)
	}
}

// TestRoomEndInTurn: the presences that end a room (the network says
// the user left the group; the user logs out) go in the room's order of
// writes: after the copies of a message archived before. Before, they
// were written at once, and the message came after the client had been
// told it was out of the room.
func TestRoomEndInTurn(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(tr *transport, s *session)
	}{
		{"removed", func(tr *transport, s *session) {
			var turn sendTurn
			out := tr.renderRoom(context.Background(), delivery{ev: groupEv(&pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_LEFT}), turn: &turn}, s)
			s.writeInTurn(context.Background(), turn, out) // as deliverNow
		}},
		{"logout", func(_ *transport, s *session) { s.closeRooms(context.Background()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, s, r, sent := occupantFixture(t)
			sent()
			out, turn := renderHeld(t, tr, s, "on its way")
			whileHeld(t, tr, r, out, turn, func() { tc.end(tr, s) })
			got := sent()
			msg := indexOf(got, isHeld)
			gone := indexOf(got, func(st *wire.Stanza) bool { return st.Kind() == "presence" && st.Type() == "unavailable" })
			if msg < 0 || gone < 0 || msg > gone {
				t.Fatalf("message at %d, the room's end at %d: want the message first; sent %v", msg, gone, got)
			}
		})
	}
}

// TestMemberEventInTurn: a member's leave that the network tells goes in
// the room's order of writes: after the copies of a message archived
// before it. Before, it was written at once, and the member's message
// then came from an occupant who was not in the room.
func TestMemberEventInTurn(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	sent()
	out, turn := renderHeld(t, tr, s, "on its way")
	whileHeld(t, tr, r, out, turn, func() {
		var turn sendTurn
		ev := groupEv(&pb.MemberEvent{Member: &pb.Member{UserId: "echo-1"}, Kind: pb.MemberEvent_KIND_LEFT})
		out := tr.renderRoom(context.Background(), delivery{ev: ev, turn: &turn}, s)
		s.writeInTurn(context.Background(), turn, out) // as deliverNow
	})
	got := sent()
	msg := indexOf(got, isHeld)
	left := indexOf(got, func(st *wire.Stanza) bool {
		return st.Kind() == "presence" && st.From() == "g1@echo.localhost/One" && st.Type() == "unavailable"
	})
	if msg < 0 || left < 0 || msg > left {
		t.Fatalf("message at %d, the member's leave at %d: want the message first; sent %v", msg, left, got)
	}
}

// TestSelfStatusInTurn: the user's own status change in a room (a
// presence without the MUC <x/> to the user's occupant JID) goes to the
// joined resources in the room's order of writes: after the copies of a
// message archived before. Before, it was written at once, ahead of the
// message still waiting for its turn.
func TestSelfStatusInTurn(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	sent()
	out, turn := renderHeld(t, tr, s, "on its way")
	whileHeld(t, tr, r, out, turn, func() {
		occupantStanza(t, tr, `<presence from='alice@localhost/phone' to='g1@echo.localhost/Alice'><show>away</show></presence>`)
	})
	got := sent()
	msg := indexOf(got, isHeld)
	away := indexOf(got, func(st *wire.Stanza) bool {
		return st.Kind() == "presence" && st.From() == "g1@echo.localhost/Alice" && st.Child("", "show") != nil
	})
	if msg < 0 || away < 0 || msg > away {
		t.Fatalf("message at %d, the user's away presence at %d: want the message first; sent %v", msg, away, got)
	}
}

// TestRoomPictureInTurn: the room's presence naming its new picture
// goes in the room's order of writes: after the copies of a message
// archived before. Before, it was written at once, ahead of them.
func TestRoomPictureInTurn(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	sent()
	out, turn := renderHeld(t, tr, s, "on its way")
	whileHeld(t, tr, r, out, turn, func() {
		s.setRoomAvatarHash(context.Background(), r, "0123456789abcdef0123456789abcdef01234567")
	})
	got := sent()
	msg := indexOf(got, isHeld)
	pic := indexOf(got, func(st *wire.Stanza) bool {
		return st.Kind() == "presence" && st.From() == "g1@echo.localhost"
	})
	if msg < 0 || pic < 0 || msg > pic {
		t.Fatalf("message at %d, the room's picture at %d: want the message first; sent %v", msg, pic, got)
	}
}
