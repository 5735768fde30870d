package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// occupantIDs lists the occupant-ids at a stanza's top level.
func occupantIDs(t *testing.T, b []byte) []string {
	t.Helper()
	st, err := wire.Parse(string(b))
	if err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	var ids []string
	for i := range st.Children {
		if isOccupantID(&st.Children[i]) {
			ids = append(ids, st.Children[i].Attr("id"))
		}
	}
	return ids
}

// stripOccupantIDs takes out every occupant-id of XEP-0421 at the top of
// a stanza, in any shape a client's element was archived in, and nothing
// else: not another namespace's, not one nested deeper, not the text.
func TestStripOccupantIDs(t *testing.T) {
	cases := []struct{ in, want string }{
		{`<message><body>a</body><occupant-id xmlns="urn:xmpp:occupant-id:0" id="x"/></message>`, `<message><body>a</body></message>`},
		{`<message><occupant-id xmlns="urn:xmpp:occupant-id:0" id="x"></occupant-id><body>a</body><occupant-id xmlns='urn:xmpp:occupant-id:0' id='y'><z/></occupant-id></message>`, `<message><body>a</body></message>`},
		{`<message><body>urn:xmpp:occupant-id:0</body></message>`, `<message><body>urn:xmpp:occupant-id:0</body></message>`},
		{`<message><occupant-id xmlns="urn:other" id="x"/><r><occupant-id xmlns="urn:xmpp:occupant-id:0" id="n"/></r></message>`, `<message><occupant-id xmlns="urn:other" id="x"/><r><occupant-id xmlns="urn:xmpp:occupant-id:0" id="n"/></r></message>`},
		{`<message><occupant-id xmlns="urn:xmpp:occupant-id:0" id="x"`, `<message><occupant-id xmlns="urn:xmpp:occupant-id:0" id="x"`}, // broken: as it is
	}
	for _, c := range cases {
		if got := string(stripOccupantIDs([]byte(c.in))); got != c.want {
			t.Errorf("strip %s:\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

// A MAM result carries the archived sender's occupant-id, derived as live
// messages derive it, in place of any the archived payload held; the
// room's own messages (no nick) carry none. The archived payload is left
// as it was.
func TestMAMResultOccupantID(t *testing.T) {
	const roomJID = "echo-room@echo.localhost"
	payload := `<message from="echo-room@echo.localhost/Bob" type="groupchat"><body>hi</body><occupant-id xmlns="urn:xmpp:occupant-id:0" id="forged"/></message>`
	m := &store.ArchivedMessage{StanzaID: "1a-7", Time: time.Now(), Nick: "Bob", SenderJID: "echo-1@echo.localhost", Payload: []byte(payload)}
	got, ok := mamResult(roomJID, "alice@localhost/phone", "m1", "q1", m, (*transport)(nil).archivedOccupantID(nil, roomJID, m), "")
	if !ok {
		t.Fatal("refused")
	}
	st, err := wire.Parse(string(got))
	if err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	fw := st.Child("urn:xmpp:mam:2", "result").Child(nsForward, "forwarded")
	inner := fw.Child("jabber:client", "message")
	if inner == nil {
		t.Fatalf("no forwarded message: %s", got)
	}
	var ids []string
	for i := range inner.Children {
		if isOccupantID(&inner.Children[i]) {
			ids = append(ids, inner.Children[i].Attr("id"))
		}
	}
	if want := muc.OccupantID(roomJID, "echo-1@echo.localhost"); len(ids) != 1 || ids[0] != want {
		t.Errorf("occupant-ids %v, want only %s: %s", ids, want, got)
	}
	if string(m.Payload) != payload {
		t.Errorf("the archived payload changed: %s", m.Payload)
	}
	m.Nick, m.Payload = "", []byte(`<message from="echo-room@echo.localhost" type="groupchat"><body>room</body></message>`)
	if got, _ := mamResult(roomJID, "alice@localhost/phone", "m2", "q1", m, (*transport)(nil).archivedOccupantID(nil, roomJID, m), ""); strings.Contains(string(got), muc.NSOccupantID) {
		t.Errorf("the room's own message with an occupant-id: %s", got)
	}
}

// A member's presences and messages carry one occupant-id, the same
// across its nick change and in its read marker; another member's
// differs, and so does the user's own.
func TestRoomOccupantIDs(t *testing.T) {
	tr, s, r := roomFixture(t)
	ctx := context.Background()
	r.mu.Lock()
	one := r.occupantLocked(s, "echo-1").OccupantID
	two := r.occupantLocked(s, "echo-2").OccupantID
	self := s.selfOccupantLocked(r).OccupantID
	r.mu.Unlock()
	if one == "" || one == two || one == self || two == self || self == "" {
		t.Fatalf("ids not distinct: one %q two %q self %q", one, two, self)
	}
	out := tr.renderRoom(ctx, delivery{ev: groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED, Member: &pb.Member{UserId: "echo-1", Nick: "Uno"}})}, s)
	if len(out) != 4 {
		t.Fatalf("nick change: %d stanzas", len(out))
	}
	for _, b := range out {
		if ids := occupantIDs(t, b); len(ids) != 1 || ids[0] != one {
			t.Errorf("nick change presence with %v, want %s: %s", ids, one, b)
		}
	}
	out = tr.renderRoom(ctx, delivery{ev: groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED, Member: &pb.Member{UserId: "alice-echo", Nick: "Alicia"}})}, s)
	if len(out) != 4 {
		t.Fatalf("own nick change: %d stanzas", len(out))
	}
	for _, b := range out {
		if ids := occupantIDs(t, b); len(ids) != 1 || ids[0] != self {
			t.Errorf("own nick change presence with %v, want %s: %s", ids, self, b)
		}
	}
	ev := groupEv(&pb.MessageEvent{})
	ev.EventId, ev.Sender = "m2", &pb.Sender{UserId: "echo-1"}
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: "hello"}}
	out = tr.renderRoom(ctx, delivery{ev: ev}, s)
	allHave(t, "message", out, 2, `from="g1@echo.localhost/Uno"`)
	for _, b := range out {
		if ids := occupantIDs(t, b); len(ids) != 1 || ids[0] != one {
			t.Errorf("message with %v, want %s: %s", ids, one, b)
		}
	}
	out = tr.renderRoom(ctx, delivery{ev: groupEv(&pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_READ, MessageIds: []string{"m2"}})}, s)
	for _, b := range out {
		if ids := occupantIDs(t, b); len(ids) != 1 || ids[0] != one {
			t.Errorf("read marker with %v, want %s: %s", ids, one, b)
		}
	}
}

// A member moved to a new ID (identity.go) keeps its occupant-id: its
// occupant's presence under the new ID, the archived messages of every
// ID of its chain of moves, and a new session's (a restart's), which
// reads the aliases from the store. A move onto an ID that is a member
// already leaves that member its own id.
func TestIdentityOccupantIDs(t *testing.T) {
	tr, s, r := roomFixture(t)
	ctx := context.Background()
	idOf := func(id string) string {
		t.Helper()
		r.mu.Lock()
		defer r.mu.Unlock()
		if _, ok := r.members[id]; !ok {
			t.Fatalf("%s is no member", id)
		}
		return r.occupantLocked(s, id).OccupantID
	}
	archived := func(s *session, id string) string {
		j, err := tr.puppetJID(id)
		if err != nil {
			t.Fatal(err)
		}
		return tr.archivedOccupantID(&s.aliases, r.jid, &store.ArchivedMessage{Nick: "N", SenderJID: j.String()})
	}
	// move is what identityEvent does of a move for the rooms: the
	// stanzas for the joined resources.
	move := func(old, new string) [][]byte {
		t.Helper()
		res, err := tr.db.MoveContact(ctx, old, store.Puppet{Transport: tr.name, LoginID: s.LoginID(), UserID: new}, s.occupantMove(old, new))
		if err != nil {
			t.Fatal(err)
		}
		s.aliases.moved(tr, new, res.Alias)
		return s.moveMember(r, old, new)
	}
	one, two := idOf("echo-1"), idOf("echo-2")
	for _, mv := range [][2]string{{"echo-1", "n1"}, {"n1", "n2"}} {
		out := move(mv[0], mv[1])
		allHave(t, "presence", out, 2, `jid="`+mv[1]+`@echo.localhost"`)
		for _, b := range out {
			if ids := occupantIDs(t, b); len(ids) != 1 || ids[0] != one {
				t.Errorf("%s moved to %s: presence with %v, want %s: %s", mv[0], mv[1], ids, one, b)
			}
		}
	}
	if got := idOf("n2"); got != one {
		t.Errorf("echo-1 moved twice: id %q, want %q", got, one)
	}
	for _, id := range []string{"echo-1", "n1", "n2"} {
		if got := archived(s, id); got != one {
			t.Errorf("archived message of %s: id %q, want %q", id, got, one)
		}
	}
	move("echo-2", "n2") // n2 is a member already: it stays as it was
	if got := idOf("n2"); got != one {
		t.Errorf("n2 after echo-2 moved onto it: id %q, want %q", got, one)
	}
	if got := archived(s, "echo-2"); got != two {
		t.Errorf("archived message of echo-2: id %q, want its own %q", got, two)
	}
	again := newSession(tr, s.Login())
	for _, id := range []string{"echo-1", "n1", "n2"} {
		if got := archived(again, id); got != one {
			t.Errorf("a new session: archived message of %s: id %q, want %q", id, got, one)
		}
	}
}
