package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/muc"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// roomFixture is a transport with alice's login in one group, g1, joined
// from two resources, with echo-1 and echo-2 as members and one archived
// message.
func roomFixture(t *testing.T) (*transport, *session, *room) {
	t.Helper()
	tr := newTestTransport(t)
	tr.domain = "echo.localhost"
	s := tr.setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "alice-echo", DisplayName: "Alice"})
	r, _ := s.rooms.add("g1", func() *room {
		return &room{chatID: "g1", jid: "g1@echo.localhost", members: map[string]*pb.Member{}, names: map[string]string{},
			nicks: muc.NewNicks(), joined: map[string]bool{"phone": true, "laptop": true}}
	})
	s.updateRoom(context.Background(), r, &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "G",
		Members: []*pb.Member{{UserId: "alice-echo"}, {UserId: "echo-1", Nick: "One"}, {UserId: "echo-2", Nick: "Two"}}}, false)
	if _, dup := tr.archive(context.Background(), s.user, r, store.ArchivedMessage{RemoteID: "m1", Payload: []byte(`<message to="alice@localhost"><body>hi</body></message>`)}); dup {
		t.Fatal("first message a duplicate")
	}
	return tr, s, r
}

func groupEv(payload any) *pb.Event {
	ev := &pb.Event{LoginId: "alice-echo", ChatId: "g1", ChatType: pb.ChatType_CHAT_TYPE_GROUP, TimestampUnixMicro: time.Now().UnixMicro()}
	switch p := payload.(type) {
	case *pb.ChatRemovedEvent:
		ev.Payload = &pb.Event_ChatRemoved{ChatRemoved: p}
	case *pb.MemberEvent:
		ev.Payload = &pb.Event_Member{Member: p}
	case *pb.ReceiptEvent:
		ev.Payload = &pb.Event_Receipt{Receipt: p}
		ev.Sender = &pb.Sender{UserId: "echo-1"}
	}
	return ev
}

func archivedCount(t *testing.T, tr *transport, s *session) int {
	t.Helper()
	page, err := tr.db.QueryArchive(context.Background(), tr.roomKey(s.user, "g1"), store.ArchiveQuery{CountOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return page.Count
}

// allHave checks that there is one stanza per joined resource and that
// each holds every part.
func allHave(t *testing.T, what string, out [][]byte, n int, parts ...string) {
	t.Helper()
	if len(out) != n {
		t.Fatalf("%s: %d stanzas, want %d: %q", what, len(out), n, out)
	}
	for _, b := range out {
		for _, p := range parts {
			if !strings.Contains(string(b), p) {
				t.Errorf("%s: %s lacks %s", what, b, p)
			}
		}
	}
}

// The group deleted: each joined resource sees the room destroyed
// (XEP-0045 §10.9: 110, <destroy/> with the reason, no alternate venue),
// the room is gone, and so is its archive.
func TestRoomGroupDeleted(t *testing.T) {
	tr, s, _ := roomFixture(t)
	out := tr.renderRoom(context.Background(), delivery{ev: groupEv(&pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_DELETED})}, s)
	allHave(t, "deleted", out, 2, `type="unavailable"`, `code="110"`, `<destroy><reason>the group was deleted</reason></destroy>`, `from="g1@echo.localhost/Alice"`)
	for _, b := range out {
		if strings.Contains(string(b), `code="332"`) {
			t.Errorf("a deleted group told as the service's shutdown (332): %s", b)
		}
	}
	if tr.roomOf(s.user, "g1") {
		t.Error("the room of a deleted group is still there")
	}
	if n := archivedCount(t, tr, s); n != 0 {
		t.Errorf("the deleted group's archive still holds %d messages", n)
	}
	// A second removal of the same group does nothing.
	if out := tr.renderRoom(context.Background(), delivery{ev: groupEv(&pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_DELETED})}, s); len(out) != 0 {
		t.Errorf("removal of a room already gone: %q", out)
	}
}

// The group moved by the network to a new chat (Telegram's supergroup):
// each joined resource sees the room destroyed with the new chat's room
// as its alternate venue, the room and its bookmark are gone, and the
// archive is kept (the new room's history starts afresh).
func TestRoomGroupMoved(t *testing.T) {
	tr, s, _ := roomFixture(t)
	out := tr.renderRoom(context.Background(), delivery{ev: groupEv(&pb.ChatRemovedEvent{ReplacedBy: "g2", Text: "became a supergroup"})}, s)
	allHave(t, "moved", out, 2, `type="unavailable"`, `code="110"`, `<destroy jid="g2@echo.localhost"><reason>became a supergroup</reason></destroy>`,
		`from="g1@echo.localhost/Alice"`)
	if tr.roomOf(s.user, "g1") {
		t.Error("the moved group's room is still there")
	}
	if n := archivedCount(t, tr, s); n != 1 {
		t.Errorf("archive after a move: %d messages, want 1", n)
	}
	// Without a text, the user is still told where it went.
	tr, s, _ = roomFixture(t)
	out = tr.renderRoom(context.Background(), delivery{ev: groupEv(&pb.ChatRemovedEvent{ReplacedBy: "g2"})}, s)
	allHave(t, "moved", out, 2, `<destroy jid="g2@echo.localhost"><reason>this group goes on in another room</reason>`)
}

// The user kicked: 110 and 307 with the network's text; the archive is
// kept (the user may still read it).
func TestRoomUserKicked(t *testing.T) {
	tr, s, _ := roomFixture(t)
	out := tr.renderRoom(context.Background(), delivery{ev: groupEv(&pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_KICKED, Text: "spam"})}, s)
	allHave(t, "kicked", out, 2, `type="unavailable"`, `code="110"`, `code="307"`, "<reason>spam</reason>")
	if tr.roomOf(s.user, "g1") {
		t.Error("the room is still there after the user was kicked")
	}
	if n := archivedCount(t, tr, s); n != 1 {
		t.Errorf("archive after a kick: %d messages, want 1", n)
	}
}

// Members kicked, banned and renamed on the network: 307, 301 with the
// outcast affiliation, and the 303 pair of a nick change.
func TestRoomMemberChanges(t *testing.T) {
	tr, s, r := roomFixture(t)
	ctx := context.Background()
	out := tr.renderRoom(ctx, delivery{ev: groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED, Member: &pb.Member{UserId: "echo-1", Nick: "Uno"}})}, s)
	allHave(t, "renamed", out, 4, `from="g1@echo.localhost/`)
	if !strings.Contains(string(out[0]), `code="303"`) || !strings.Contains(string(out[0]), `nick="Uno"`) || !strings.Contains(string(out[1]), `from="g1@echo.localhost/Uno"`) {
		t.Errorf("nick change pair: %q", out[:2])
	}
	out = tr.renderRoom(ctx, delivery{ev: groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_KICKED, Member: &pb.Member{UserId: "echo-1"}, Reason: "rude"})}, s)
	allHave(t, "kicked", out, 2, `from="g1@echo.localhost/Uno"`, `type="unavailable"`, `code="307"`, "<reason>rude</reason>")
	out = tr.renderRoom(ctx, delivery{ev: groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_BANNED, Member: &pb.Member{UserId: "echo-2"}})}, s)
	allHave(t, "banned", out, 2, `from="g1@echo.localhost/Two"`, `code="301"`, `affiliation="outcast"`)
	// Gone members are not removed twice; the user's own entry is no occupant.
	out = tr.renderRoom(ctx, delivery{ev: groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_LEFT, Member: &pb.Member{UserId: "echo-2"}})}, s)
	out = append(out, tr.renderRoom(ctx, delivery{ev: groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_JOINED, Member: &pb.Member{UserId: "alice-echo"}})}, s)...)
	if len(out) != 0 {
		t.Errorf("want nothing, got %q", out)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.members) != 0 || r.nicks.Len() != 0 {
		t.Errorf("members left: %v", r.members)
	}
}

// roomCopy readdresses an archived stanza and adds the room's ids (the
// stanza-id, the sender's occupant-id in place of any other); a delay
// already in it (a backfilled message) is not doubled.
func TestRoomCopy(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	got := string(roomCopy([]byte(`<message from="r@d/n" to="a@l" type="groupchat"><body>to="a@l"</body><occupant-id xmlns="urn:xmpp:occupant-id:0" id="forged"/></message>`), "a@l", "a@l/phone", "r@d", "5-1", "oid-n", at))
	want := `<message from="r@d/n" to="a@l/phone" type="groupchat"><body>to="a@l"</body><stanza-id xmlns="urn:xmpp:sid:0" by="r@d" id="5-1"/><occupant-id xmlns="urn:xmpp:occupant-id:0" id="oid-n"/><delay xmlns="urn:xmpp:delay" from="r@d" stamp="2026-12-01T10:00:00Z"/></message>`
	if got != want {
		t.Errorf("roomCopy:\n got %s\nwant %s", got, want)
	}
	delayed := `<message to="a@l"><body>x</body><delay xmlns="urn:xmpp:delay" from="d" stamp="2026-01-01T00:00:00Z"/></message>`
	if got := string(roomCopy([]byte(delayed), "a@l", "a@l/p", "r@d", "5-2", "", at)); strings.Count(got, "<delay") != 1 {
		t.Errorf("delay doubled: %s", got)
	}
}

// A member's read receipt is a displayed marker from the member's
// occupant JID naming the newest message read by its stanza-id, to each
// joined resource; a delivery receipt, or one naming a message the
// archive does not have, shows nothing.
func TestRoomReadMarker(t *testing.T) {
	tr, s, _ := roomFixture(t)
	ctx := context.Background()
	sid, err := tr.db.ArchivedStanzaID(ctx, tr.roomKey(s.user, "g1"), "m1")
	if err != nil {
		t.Fatal(err)
	}
	out := tr.renderRoom(ctx, delivery{ev: groupEv(&pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_READ, MessageIds: []string{"unknown", "m1"}})}, s)
	allHave(t, "read", out, 2, `type="groupchat"`, `from="g1@echo.localhost/One"`, `<displayed xmlns="urn:xmpp:chat-markers:0" id="`+sid+`"/>`)
	for _, ev := range []*pb.ReceiptEvent{
		{Kind: pb.ReceiptEvent_KIND_DELIVERED, MessageIds: []string{"m1"}},
		{Kind: pb.ReceiptEvent_KIND_READ, MessageIds: []string{"unknown"}},
	} {
		if out := tr.renderRoom(ctx, delivery{ev: groupEv(ev)}, s); len(out) != 0 {
			t.Errorf("%v: want nothing, got %q", ev, out)
		}
	}
}

// The user's own standing is the network's: made admin (a role change of
// their own member) and made owner (a chat update) reach each joined
// resource as a self-presence with the new affiliation and role; the
// same standing again says nothing, and a rename keeps it.
func TestRoomOwnStanding(t *testing.T) {
	tr, s, r := roomFixture(t)
	ctx := context.Background()
	self := func() string {
		r.mu.Lock()
		defer r.mu.Unlock()
		me := s.selfOccupantLocked(r)
		return me.Affiliation + "/" + me.Role
	}
	if got := self(); got != "member/participant" {
		t.Fatalf("standing before: %s", got)
	}
	admin := &pb.Member{UserId: "alice-echo", IsSelf: true, Affiliation: pb.Affiliation_AFFILIATION_ADMIN, Role: pb.Role_ROLE_MODERATOR}
	out := tr.renderRoom(ctx, delivery{ev: groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_ROLE_CHANGED, Member: admin})}, s)
	allHave(t, "made admin", out, 2, `code="110"`, `affiliation="admin"`, `role="moderator"`, `from="g1@echo.localhost/Alice"`)
	if out := tr.renderRoom(ctx, delivery{ev: groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_ROLE_CHANGED, Member: admin})}, s); len(out) != 0 {
		t.Errorf("the same standing again: %q", out)
	}
	if out := tr.renderRoom(ctx, delivery{ev: groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED, Member: &pb.Member{UserId: "alice-echo", IsSelf: true, Nick: "Ali"}})}, s); len(out) == 0 || self() != "admin/moderator" {
		t.Errorf("a rename changed the standing to %s (%q)", self(), out)
	}
	out = s.updateRoom(ctx, r, &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "G",
		Members: []*pb.Member{{UserId: "alice-echo", IsSelf: true, Nick: "Ali", Affiliation: pb.Affiliation_AFFILIATION_OWNER, Role: pb.Role_ROLE_MODERATOR},
			{UserId: "echo-1", Nick: "One"}, {UserId: "echo-2", Nick: "Two"}}}, true)
	allHave(t, "made owner", out, 2, `code="110"`, `affiliation="owner"`)
	// Read-only for others, the group's owner still posts.
	r.mu.Lock()
	r.readOnly = true
	r.mu.Unlock()
	if got := self(); got != "owner/moderator" {
		t.Errorf("an owner of a read-only group: %s", got)
	}
}
