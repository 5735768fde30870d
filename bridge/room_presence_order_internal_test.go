package bridge

import (
	"context"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// wantAfterHeld runs act while a member's message waits for its turn in
// the room's order of writes (renderHeld, whileHeld), and fails unless
// the first stanza to the phone that is (what, as the failure names it)
// is written after the message.
func wantAfterHeld(t *testing.T, what string, act func(tr *transport, s *session, r *room), is func(*wire.Stanza) bool) {
	t.Helper()
	tr, s, r, sent := occupantFixture(t)
	sent()
	out, turn := renderHeld(t, tr, s, "on its way")
	whileHeld(t, tr, r, out, turn, func() { act(tr, s, r) })
	got := sent()
	msg, it := indexOf(got, isHeld), indexOf(got, is)
	if msg < 0 || it < 0 || msg > it {
		t.Fatalf("message at %d, %s at %d: want the message first; sent %v", msg, what, it, got)
	}
}

// TestMemberAvailabilityInTurn: a member's new availability on the
// network (away) goes to its occupant in the room's order of writes:
// after the copies of a message archived before it. Before, it was
// written at once, ahead of the message still waiting for its turn.
func TestMemberAvailabilityInTurn(t *testing.T) {
	wantAfterHeld(t, "the member's away presence", func(_ *transport, s *session, _ *room) {
		s.rememberPresence("echo-1", &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AWAY})
		s.memberAvailability(context.Background(), "echo-1")
	}, func(st *wire.Stanza) bool {
		return st.Kind() == "presence" && st.From() == "g1@echo.localhost/One" && st.Child("", "show") != nil
	})
}

// TestRoomEndInTurn: the presences that end a room (the network says
// the user left the group; the user logs out) go in the room's order of
// writes: after the copies of a message archived before. Before, they
// were written at once, and the message came after the client had been
// told it was out of the room.
func TestRoomEndInTurn(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(tr *transport, s *session, r *room)
	}{
		{"removed", func(tr *transport, s *session, _ *room) {
			var turn sendTurn
			out := tr.renderRoom(context.Background(), delivery{ev: groupEv(&pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_LEFT}), turn: &turn}, s)
			s.writeInTurn(context.Background(), turn, out) // as deliverNow
		}},
		{"logout", func(_ *transport, s *session, _ *room) { s.closeRooms(context.Background()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantAfterHeld(t, "the room's end", tc.end, func(st *wire.Stanza) bool {
				return st.Kind() == "presence" && st.Type() == "unavailable"
			})
		})
	}
}

// TestMemberEventInTurn: a member's leave that the network tells goes in
// the room's order of writes: after the copies of a message archived
// before it. Before, it was written at once, and the member's message
// then came from an occupant who was not in the room.
func TestMemberEventInTurn(t *testing.T) {
	wantAfterHeld(t, "the member's leave", func(tr *transport, s *session, _ *room) {
		var turn sendTurn
		ev := groupEv(&pb.MemberEvent{Member: &pb.Member{UserId: "echo-1"}, Kind: pb.MemberEvent_KIND_LEFT})
		out := tr.renderRoom(context.Background(), delivery{ev: ev, turn: &turn}, s)
		s.writeInTurn(context.Background(), turn, out) // as deliverNow
	}, func(st *wire.Stanza) bool {
		return st.Kind() == "presence" && st.From() == "g1@echo.localhost/One" && st.Type() == "unavailable"
	})
}

// TestSelfStatusInTurn: the user's own status change in a room (a
// presence without the MUC <x/> to the user's occupant JID) goes to the
// joined resources in the room's order of writes: after the copies of a
// message archived before. Before, it was written at once, ahead of the
// message still waiting for its turn.
func TestSelfStatusInTurn(t *testing.T) {
	wantAfterHeld(t, "the user's away presence", func(tr *transport, _ *session, _ *room) {
		occupantStanza(t, tr, `<presence from='alice@localhost/phone' to='g1@echo.localhost/Alice'><show>away</show></presence>`)
	}, func(st *wire.Stanza) bool {
		return st.Kind() == "presence" && st.From() == "g1@echo.localhost/Alice" && st.Child("", "show") != nil
	})
}

// TestRoomPictureInTurn: the room's presence naming its new picture
// goes in the room's order of writes: after the copies of a message
// archived before. Before, it was written at once, ahead of them.
func TestRoomPictureInTurn(t *testing.T) {
	wantAfterHeld(t, "the room's picture", func(_ *transport, s *session, r *room) {
		s.setRoomAvatarHash(context.Background(), r, "0123456789abcdef0123456789abcdef01234567")
	}, func(st *wire.Stanza) bool {
		return st.Kind() == "presence" && st.From() == "g1@echo.localhost"
	})
}
