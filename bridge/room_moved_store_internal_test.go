package bridge

import (
	"context"
	"strings"
	"testing"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// moveG1 has the network move the fixture's group g1 to g2.
func moveG1(tr *transport, s *session) {
	ev := &pb.Event{LoginId: s.LoginID(), ChatId: "g1", ChatType: pb.ChatType_CHAT_TYPE_GROUP,
		Payload: &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{ReplacedBy: "g2"}}}
	tr.renderRoom(context.Background(), delivery{ev: ev}, s)
}

// TestMovedRoomGoneAfterRestart: the moves of groups are stored with the
// login, so a gateway started again over the same store (a new store
// handle, a new session, nothing in memory) still answers a join of the
// old room (a stale bookmark) with gone and the new room's address.
// Before, they were remembered in memory only: the join went on to the
// network, which has the old group no more.
func TestMovedRoomGoneAfterRestart(t *testing.T) {
	tr, s, _, sent := occupantFixture(t)
	moveG1(tr, s)

	// The restart: the work under way done (the room's unannouncement),
	// the store closed and opened again, the session made afresh from
	// the login.
	tr.bg.Wait()
	l := s.Login()
	path := tr.db.Path()
	if err := tr.db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tr.db = db
	tr.dropLogin(l.UserJID)
	s = tr.setLogin(l)
	s.roomsSyncDone() // g1 is not among the login's groups

	before := len(sent())
	if !occupantStanza(t, tr, `<presence from='alice@localhost/phone' to='g1@echo.localhost/Alice' id='j1'><x xmlns='http://jabber.org/protocol/muc'/></presence>`) {
		t.Fatal("the join was not taken by the room path")
	}
	got := sent()[before:]
	cond, text := errorOf(t, got)
	if cond != string(wire.Gone) || !strings.Contains(text, "g2@echo.localhost") {
		t.Fatalf("join of the moved room after a restart: got %s %q, want gone naming g2@echo.localhost", cond, text)
	}
	for _, st := range got {
		if e := st.Child("", "error"); e != nil {
			if g := e.Child("urn:ietf:params:xml:ns:xmpp-stanzas", "gone"); g == nil || g.Text != "xmpp:g2@echo.localhost?join" {
				t.Errorf("gone's address: %+v", g)
			}
		}
	}
}

// TestMovedRoomForgottenWithLogin: removing the login (unregistering)
// forgets its groups' moves with the rest of its data: the same account
// registered again knows of none.
func TestMovedRoomForgottenWithLogin(t *testing.T) {
	tr, s, _, _ := occupantFixture(t)
	l := s.Login()
	if err := tr.db.PutLogin(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	moveG1(tr, s)
	if got := s.movedTo("g1"); got != "g2@echo.localhost" {
		t.Fatalf("before the removal: moved to %q", got)
	}
	// removeLogin's deletion, as with the plugin down (no plugin here).
	if err := tr.dropAccount(context.Background(), nil, s); err != nil {
		t.Fatal(err)
	}
	if err := tr.db.PutLogin(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	s = tr.setLogin(l)
	if got := s.movedTo("g1"); got != "" {
		t.Errorf("the move outlived the login's removal: moved to %q", got)
	}
}

// TestRoomMovedToItself: a network that says a group goes on as itself
// (replaced_by its own ID) gets no move recorded: its room is destroyed
// with no alternate venue, and a later join of it is not sent back to
// the room it asked for, which a client following the gone would do for
// good. Before, both named the room itself.
func TestRoomMovedToItself(t *testing.T) {
	tr, s, r := roomFixture(t)
	ev := &pb.Event{LoginId: s.LoginID(), ChatId: "g1", ChatType: pb.ChatType_CHAT_TYPE_GROUP,
		Payload: &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{ReplacedBy: "g1"}}}
	out := tr.renderRoom(context.Background(), delivery{ev: ev}, s)
	if len(out) != 2 {
		t.Fatalf("%d presences, want the destruction for both joined resources", len(out))
	}
	for _, b := range out {
		if !strings.Contains(string(b), "<destroy") || strings.Contains(string(b), `jid="`+r.jid+`"`) {
			t.Errorf("want the room destroyed with no alternate venue: %s", b)
		}
	}
	if got := s.movedTo("g1"); got != "" {
		t.Errorf("a move to itself recorded: %q", got)
	}
}

// TestJoinOfRoomEndedMeanwhile: a join that looked the room up just
// before the network moved its group (the join in the chat's inbound
// worker, the move in its outbound one) is answered as a join of the
// moved room: gone, with the new room's address. Before, the resource
// joined the ended room (occupants, subject) and heard of it no more:
// no destruction, nothing, as if the group had gone quiet.
func TestJoinOfRoomEndedMeanwhile(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	moveG1(tr, s) // after the join's look-up of r
	st, err := wire.Parse(`<presence from='alice@localhost/tablet' to='g1@echo.localhost/Alice' id='j1'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	if err != nil {
		t.Fatal(err)
	}
	before := len(sent())
	from, to := jid.MustParse(st.From()), jid.MustParse(st.To())
	tr.joinRoom(context.Background(), st, s, r, "g1", from, to, muc.Join{MUC: true}, nil)
	got := sent()[before:]
	cond, text := errorOf(t, got)
	if cond != string(wire.Gone) || !strings.Contains(text, "g2@echo.localhost") {
		t.Errorf("join of the room moved meanwhile: got %s %q, want gone naming g2@echo.localhost", cond, text)
	}
	r.mu.Lock()
	joined := r.joined["tablet"]
	r.mu.Unlock()
	if joined || len(got) != 1 {
		t.Errorf("the ended room took the join (joined %v, %d stanzas)", joined, len(got))
	}
}

// TestPrivateMessageInMovedRoom: a private message to an occupant of a
// room whose group the network moved (a chat window left open) is
// answered gone with the new room's address, as a groupchat message to
// the room is. Before, the room being unknown, it waited for the login's
// rooms and asked the network for the old group (here, rooms never
// synced: service-unavailable, "try again shortly", for good), then went
// to the one-to-one path: a direct message to the old group's ID.
func TestPrivateMessageInMovedRoom(t *testing.T) {
	tr, s, _, sent := occupantFixture(t)
	moveG1(tr, s)
	before := len(sent())
	if !occupantStanza(t, tr, `<message from='alice@localhost/phone' to='g1@echo.localhost/One' id='pm1' type='chat'><body>psst</body></message>`) {
		t.Fatal("the private message went to the one-to-one path, to the old group's ID")
	}
	if cond, text := errorOf(t, sent()[before:]); cond != string(wire.Gone) || !strings.Contains(text, "g2@echo.localhost") {
		t.Errorf("private message in the moved room: got %s %q, want gone naming g2@echo.localhost", cond, text)
	}
}
