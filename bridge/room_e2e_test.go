package bridge_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// The echo network's group as a MUC room, through a real Prosody and
// real client sessions (issue 18).

const room = "echo-room@" + domain

var (
	stanzaIDRe = regexp.MustCompile(`<stanza-id [^>]*>`)
	idAttrRe   = regexp.MustCompile(` id="([^"]*)"`)
)

// roomUser registers name with the echo network and waits until its
// room is listed on the transport's disco#items.
func roomUser(t *testing.T, s *stack, name string) *xmpptest.Client {
	t.Helper()
	c := s.user(name)
	s.waitGateway(c)
	if r := register(t, c, name+"-echo"); r.Type != "result" {
		t.Fatalf("register %s: %s", name, r.XML)
	}
	deadline := time.Now().Add(timeout)
	for {
		items, err := c.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
		if err == nil && strings.Contains(items.XML, `jid="`+room+`"`) {
			if !strings.Contains(items.XML, `name="Echo room"`) {
				t.Errorf("room item without its name: %s", items.XML)
			}
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("the room never appeared in disco#items: %v %s", err, items.XML)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// joined is what a join brought: the occupants' presences, the user's
// own, the history and the subject.
type joined struct {
	occupants []xmpptest.Stanza
	self      xmpptest.Stanza
	history   []xmpptest.Stanza
	subject   xmpptest.Stanza
	picture   xmpptest.Stanza // the room's presence with its picture's hash, if any
}

// nick is the resource of an occupant JID.
func nick(j string) string {
	_, n, _ := strings.Cut(j, "/")
	return n
}

// join joins the room as nick with history (the <history/> element, ""
// for none) and reads everything up to the subject.
func join(t *testing.T, c *xmpptest.Client, asNick, history string) joined {
	t.Helper()
	return joinWithin(t, c, asNick, history, timeout)
}

// joinWithin is join with its own deadline, for a room of thousands.
func joinWithin(t *testing.T, c *xmpptest.Client, asNick, history string, d time.Duration) joined {
	t.Helper()
	if err := c.SendRaw(ctxT(t), `<presence to='`+room+`/`+asNick+`'><x xmlns='http://jabber.org/protocol/muc'>`+history+`</x></presence>`); err != nil {
		t.Fatal(err)
	}
	var j joined
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		// Live messages queued before the join are left for the test.
		st, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
			return bareJID(s.From) == room && (s.Name != "message" || s.Type == "error" ||
				strings.Contains(s.XML, "<subject") || strings.Contains(s.XML, `xmlns="urn:xmpp:delay"`))
		})
		if err != nil {
			t.Fatalf("join: %v (so far %+v)", err, j)
		}
		switch {
		case st.Type == "error":
			t.Fatalf("join refused: %s", st.XML)
		case st.Name == "presence" && st.From == room:
			j.picture = st // the room's own: its picture's hash (XEP-0486)
		case st.Name == "presence" && strings.Contains(st.XML, `code="110"`):
			j.self = st
		case st.Name == "presence":
			j.occupants = append(j.occupants, st)
		case st.Name == "message" && strings.Contains(st.XML, "<subject"):
			j.subject = st
			return j
		case st.Name == "message":
			j.history = append(j.history, st)
		}
	}
}

// groupchat sends a groupchat message with an origin-id; it returns the id.
func groupchat(t *testing.T, c *xmpptest.Client, body string) string {
	t.Helper()
	id := c.NewID()
	if err := c.SendRaw(ctxT(t), `<message type='groupchat' id='`+id+`' to='`+room+`'><body>`+xmlEscape(body)+`</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`); err != nil {
		t.Fatal(err)
	}
	return id
}

// roomMessage waits for a groupchat message in the room from nick (any
// nick when "") whose body is body.
func roomMessage(t *testing.T, c *xmpptest.Client, fromNick, body string) xmpptest.Stanza {
	t.Helper()
	st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && bareJID(s.From) == room && (fromNick == "" || nick(s.From) == fromNick) && s.Body == body
	})
	if err != nil {
		t.Fatalf("no %q from %s/%s: %v; pending: %v", body, room, fromNick, err, c.Pending())
	}
	return st
}

// stanzaID is the room's stanza-id in a message.
func stanzaID(t *testing.T, st xmpptest.Stanza) string {
	t.Helper()
	for _, m := range stanzaIDRe.FindAllStringSubmatch(st.XML, -1) {
		if strings.Contains(m[0], ` by="`+room+`"`) {
			id := idAttrRe.FindStringSubmatch(m[0])
			if id != nil {
				return id[1]
			}
		}
	}
	t.Fatalf("no stanza-id by the room: %s", st.XML)
	return ""
}

// TestRoomJoinAndMessages: the room's disco#info; a join with the
// occupants (real JIDs of the puppets), the self-presence with 110 and
// 210, the subject; a message reflected once with the client's
// origin-id and the room's stanza-id, Echo One's repeat and Echo Two's
// reaction to it; then a second join asking for the last three messages
// gets them, delayed.
func TestRoomJoinAndMessages(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")

	info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || info.Type != "result" {
		t.Fatalf("room disco#info: %v %s", err, info.XML)
	}
	for _, want := range []string{`category="conference"`, `name="Echo room"`, `var="http://jabber.org/protocol/muc"`, `var="muc_membersonly"`, `var="urn:xmpp:mam:2"`,
		`var="urn:xmpp:reactions:0"`} {
		if !strings.Contains(info.XML, want) {
			t.Errorf("room disco#info lacks %s: %s", want, info.XML)
		}
	}

	j := join(t, alice, "wanted", "")
	got := map[string]string{}
	for _, o := range j.occupants {
		got[nick(o.From)] = o.XML
	}
	if len(got) != 2 || !strings.Contains(got["Echo One"], `jid="echo-1@`+domain+`"`) || !strings.Contains(got["Echo Two"], `jid="echo-2@`+domain+`"`) {
		t.Fatalf("occupants: want Echo One and Echo Two with their JIDs, got %v", got)
	}
	self := nick(j.self.From)
	if self == "" || self == "wanted" || !strings.Contains(j.self.XML, `code="210"`) {
		t.Fatalf("self-presence: want the network's nick with 210, got %s", j.self.XML)
	}
	// The echo network makes every account the group's owner: clients
	// offer an owner's tools.
	if !strings.Contains(j.self.XML, `affiliation="owner"`) || !strings.Contains(j.self.XML, `role="moderator"`) {
		t.Errorf("self-presence: want the owner's affiliation and the moderator's role the network gives, got %s", j.self.XML)
	}
	if !strings.Contains(j.subject.XML, "<subject>Echo room</subject>") {
		t.Fatalf("subject: %s", j.subject.XML)
	}
	if len(j.history) != 0 {
		t.Fatalf("a new room has no history, got %v", j.history)
	}

	id := groupchat(t, alice, "hello room")
	own := roomMessage(t, alice, self, "hello room")
	if own.ID != id || !strings.Contains(own.XML, `<origin-id xmlns="urn:xmpp:sid:0" id="`+id+`"`) {
		t.Fatalf("reflection without the client's ids: %s", own.XML)
	}
	ownSID := stanzaID(t, own)
	roomMessage(t, alice, "Echo One", "hello room")
	react, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.From == room+"/Echo Two" && strings.Contains(s.XML, "<reactions")
	})
	if err != nil || !strings.Contains(react.XML, `id="`+ownSID+`"`) || !strings.Contains(react.XML, "👍") {
		t.Fatalf("Echo Two's reaction to the stanza-id %s: %v %s", ownSID, err, react.XML)
	}
	// Reflected once: the network's side of the message is not shown again.
	time.Sleep(500 * time.Millisecond)
	for _, st := range alice.Pending() {
		if st.Name == "message" && nick(st.From) == self && st.Body == "hello room" {
			t.Fatalf("own message shown twice: %s", st.XML)
		}
	}

	phone := s.loginResource("alice", "phone")
	j = join(t, phone, "wanted", `<history maxstanzas='3'/>`)
	if len(j.history) != 3 {
		t.Fatalf("history: want 3 messages, got %d: %v", len(j.history), j.history)
	}
	for _, h := range j.history {
		if !strings.Contains(h.XML, `<delay xmlns="urn:xmpp:delay"`) || !strings.Contains(h.XML, `by="`+room+`"`) {
			t.Errorf("history message without its delay or stanza-id: %s", h.XML)
		}
	}
	var ownSeen, repeatSeen bool
	for _, h := range j.history {
		ownSeen = ownSeen || nick(h.From) == self && h.ID == id && h.Body == "hello room"
		repeatSeen = repeatSeen || nick(h.From) == "Echo One" && h.Body == "hello room"
	}
	if !ownSeen || !repeatSeen {
		t.Errorf("history lacks the message or its repeat: %v", j.history)
	}
	j = join(t, s.loginResource("alice", "tablet"), "wanted", `<history maxstanzas='0'/>`)
	if len(j.history) != 0 {
		t.Errorf("maxstanzas=0 still got %d messages", len(j.history))
	}
}

// TestRoomTwoResources: both resources joined receive the room; one
// leaving gets its own unavailable presence and nothing more, while the
// other keeps receiving and the network group stays.
func TestRoomTwoResources(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	phone := s.loginResource("alice", "phone")
	self := nick(join(t, alice, "a", "").self.From)
	join(t, phone, "a", "")

	groupchat(t, phone, "from the phone")
	for _, c := range []*xmpptest.Client{alice, phone} {
		roomMessage(t, c, self, "from the phone")
		roomMessage(t, c, "Echo One", "from the phone")
	}
	if err := phone.SendRaw(ctxT(t), `<presence type='unavailable' to='`+room+`/`+self+`'/>`); err != nil {
		t.Fatal(err)
	}
	gone, err := phone.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.Type == "unavailable" && s.From == room+"/"+self
	})
	if err != nil || !strings.Contains(gone.XML, `code="110"`) {
		t.Fatalf("leaving resource: want its unavailable self-presence: %v %s", err, gone.XML)
	}
	// Leaving takes the role, not the affiliation (XEP-0045 §7.14).
	if !strings.Contains(gone.XML, `affiliation="owner"`) || !strings.Contains(gone.XML, `role="none"`) {
		t.Errorf("leaving resource: want the owner's affiliation kept and role none, got %s", gone.XML)
	}
	// XEP-0410 self-ping tells each resource whether it is joined.
	ping := `<iq type='get' to='` + room + `/` + self + `'><ping xmlns='urn:xmpp:ping'/></iq>`
	if st, err := alice.IQ(ctxT(t), ping); err != nil || st.Type != "result" {
		t.Fatalf("self-ping of the joined resource: %v %s", err, st.XML)
	}
	if st, err := phone.IQ(ctxT(t), ping); err != nil || st.Err == nil || st.Err.Condition != "not-acceptable" {
		t.Fatalf("self-ping of the resource that left: want not-acceptable, got %v %s", err, st.XML)
	}
	groupchat(t, alice, "still here")
	roomMessage(t, alice, "Echo One", "still here")
	time.Sleep(300 * time.Millisecond)
	for _, st := range phone.Pending() {
		if st.Name == "message" && st.Body == "still here" {
			t.Fatalf("the resource that left still receives: %s", st.XML)
		}
	}
	for _, st := range alice.Pending() {
		if st.Name == "presence" && st.Type == "unavailable" && st.From == room+"/"+self {
			t.Fatalf("the resource that stayed saw itself leave: %s", st.XML)
		}
	}
	// The network group is kept: the phone comes back with the history.
	j := join(t, phone, "a", `<history maxstanzas='3'/>`)
	if len(j.history) != 3 || j.history[0].Body != "still here" {
		t.Fatalf("rejoin: want the last message, its repeat and its reaction as history, got %v", j.history)
	}
}

// TestRoomMembersAndTopic: members joining and leaving on the network,
// and its topic changing, reach the joined resources as occupant
// presences and a subject message.
func TestRoomMembersAndTopic(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")

	groupchat(t, alice, "join 3")
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.From == room+"/Echo Three" })
	if err != nil || st.Type != "" || !strings.Contains(st.XML, `jid="echo-3@`+domain+`"`) {
		t.Fatalf("echo-3 joining: %v %s", err, st.XML)
	}
	groupchat(t, alice, "part 2")
	st, err = alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.From == room+"/Echo Two" })
	if err != nil || st.Type != "unavailable" || !strings.Contains(st.XML, `role="none"`) {
		t.Fatalf("echo-2 leaving: %v %s", err, st.XML)
	}
	groupchat(t, alice, "topic Bridges and tunnels")
	st, err = alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && bareJID(s.From) == room && strings.Contains(s.XML, "<subject")
	})
	if err != nil || st.From != room+"/Echo One" || !strings.Contains(st.XML, "<subject>Bridges and tunnels</subject>") {
		t.Fatalf("topic change: %v %s", err, st.XML)
	}
	// A later join sees the members and the subject as they are now.
	j := join(t, s.loginResource("alice", "phone"), "a", "")
	got := map[string]bool{}
	for _, o := range j.occupants {
		got[nick(o.From)] = true
	}
	if !got["Echo One"] || !got["Echo Three"] || got["Echo Two"] || len(got) != 2 {
		t.Errorf("occupants after the changes: %v", got)
	}
	if !strings.Contains(j.subject.XML, "<subject>Bridges and tunnels</subject>") {
		t.Errorf("subject after the change: %s", j.subject.XML)
	}
}

// TestRoomLeave: "/leave" in the room leaves the network group: every
// joined resource sees the user go, no longer a member (affiliation
// none, status 321: removed by an affiliation change, which clients
// show as such; with no code, Conversations showed an unknown error),
// and the room is gone: a join of it again is refused
// registration-required (XEP-0045 §7.2.5), saying the user left.
func TestRoomLeave(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	phone := s.loginResource("alice", "phone")
	self := nick(join(t, alice, "a", "").self.From)
	join(t, phone, "a", "")
	groupchat(t, alice, "/leave")
	for _, c := range []*xmpptest.Client{alice, phone} {
		st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && s.Type == "unavailable" && s.From == room+"/"+self
		})
		if err != nil || !strings.Contains(st.XML, `code="110"`) {
			t.Fatalf("leaving the group: %v %s", err, st.XML)
		}
		if !strings.Contains(st.XML, `code="321"`) || !strings.Contains(st.XML, `affiliation="none"`) {
			t.Errorf("leaving the group: want 321 and affiliation none, got %s", st.XML)
		}
	}
	items, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
	if err != nil || strings.Contains(items.XML, room) {
		t.Fatalf("the room is still listed: %v %s", err, items.XML)
	}
	if err := alice.SendRaw(ctxT(t), `<presence to='`+room+`/a'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	// XEP-0045 §7.2.5: not a member (any more) is registration-required,
	// saying so; item-not-found (before) said there was no such room.
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.Type == "error" })
	if err != nil || st.Err.Condition != "registration-required" || !strings.Contains(st.XML, "you left this group") ||
		!strings.Contains(st.XML, `type="auth"`) {
		t.Fatalf("joining a group left: want registration-required saying you left it, got %v %s", err, st.XML)
	}
}

// TestRoomCorrectionToLeaveStays: a correction whose new text is
// "/leave" is a correction, shown to the room, not the command: the user
// left the group by editing a message.
func TestRoomCorrectionToLeaveStays(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	id := groupchat(t, alice, "see you")
	roomMessage(t, alice, self, "see you")
	if err := alice.SendRaw(ctxT(t), `<message type='groupchat' id='c-`+id+`' to='`+room+`'><body>/leave</body><replace xmlns='urn:xmpp:message-correct:0' id='`+id+`'/></message>`); err != nil {
		t.Fatal(err)
	}
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.Type == "unavailable" && s.From == room+"/"+self ||
			s.Name == "message" && s.From == room+"/"+self && s.Body == "/leave"
	})
	if err != nil || st.Name != "message" || !strings.Contains(st.XML, "urn:xmpp:message-correct:0") {
		t.Fatalf("a correction to \"/leave\": %v %s; want the correction reflected, the user still in the group", err, st.XML)
	}
}

// TestRoomPerUser: two users of the gateway in groups of the same chat
// ID have rooms of the same address, and neither sees the other's
// messages or history; a user without a login has no rooms at all.
func TestRoomPerUser(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	bob := roomUser(t, s, "bob")
	join(t, alice, "a", "")
	join(t, bob, "b", "")
	groupchat(t, alice, "for alice only")
	roomMessage(t, alice, "Echo One", "for alice only")
	time.Sleep(300 * time.Millisecond)
	for _, st := range bob.Pending() {
		if strings.Contains(st.XML, "for alice only") {
			t.Fatalf("bob received alice's room: %s", st.XML)
		}
	}
	j := join(t, s.loginResource("bob", "phone"), "b", `<history maxstanzas='50'/>`)
	for _, h := range j.history {
		if strings.Contains(h.XML, "for alice only") {
			t.Fatalf("bob's history holds alice's message: %s", h.XML)
		}
	}

	carol := s.user("carol")
	items, err := carol.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
	if err != nil || strings.Contains(items.XML, "<item") {
		t.Fatalf("a user without a login sees rooms: %v %s", err, items.XML)
	}
	if err := carol.SendRaw(ctxT(t), `<presence to='`+room+`/c'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	st, err := carol.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.Type == "error" })
	if err != nil || st.Err.Condition != "registration-required" {
		t.Fatalf("join without a login: want registration-required, got %v %s", err, st.XML)
	}
}

// TestRoomHostile: joins of what is no room, a malformed <history/>, a
// message from a resource that did not join, and private messages to
// nobody are each answered with a clear error; a private message to an
// occupant who is a contact goes to the one-to-one chat, and its answer
// comes back from the occupant.
func TestRoomHostile(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	ctx := ctxT(t)
	presenceError := func(raw, cond, text string) {
		t.Helper()
		if err := alice.SendRaw(ctx, raw); err != nil {
			t.Fatal(err)
		}
		st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.Type == "error" })
		if err != nil || st.Err.Condition != cond || !strings.Contains(st.Err.Text, text) {
			t.Fatalf("%s: want %s (%q), got %v %s", raw, cond, text, err, st.XML)
		}
	}
	presenceError(`<presence to='nobody@`+domain+`/x'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, "item-not-found", "no group")
	presenceError(`<presence to='echo-1@`+domain+`/x'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, "item-not-found", "no group")
	presenceError(`<presence to='`+room+`/x'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='lots' since='yesterday'/></x></presence>`, "bad-request", "maxstanzas")
	presenceError(`<presence to='`+room+`'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, "jid-malformed", "nick")

	messageError := func(raw, cond, text string) {
		t.Helper()
		if err := alice.SendRaw(ctx, raw); err != nil {
			t.Fatal(err)
		}
		st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool { return s.Name == "message" && s.Type == "error" })
		if err != nil || st.Err.Condition != cond || !strings.Contains(st.Err.Text, text) {
			t.Fatalf("%s: want %s (%q), got %v %s", raw, cond, text, err, st.XML)
		}
	}
	messageError(`<message type='groupchat' to='`+room+`'><body>not joined</body></message>`, "not-acceptable", "join")
	messageError(`<message type='groupchat' to='nobody@`+domain+`'><body>hi</body></message>`, "item-not-found", "no group")
	join(t, alice, "a", "")
	messageError(`<message type='chat' to='`+room+`/Nobody Here'><body>psst</body></message>`, "item-not-found", "Nobody Here")
	if err := alice.SendRaw(ctx, `<message type='chat' to='`+room+`/Echo One'><body>psst</body></message>`); err != nil {
		t.Fatal(err)
	}
	// The contact's echo, from its occupant JID where the question was
	// (room_pm.go), the room's message-by-message echo aside.
	st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool { return s.Name == "message" && s.Type != "groupchat" && s.Body == "psst" })
	if err != nil || st.Type == "error" || st.From != room+"/Echo One" {
		t.Fatalf("private message to an occupant: want the contact's echo from %s/Echo One, got %v %s", room, err, st.XML)
	}
}

// TestRoomBacklogWhileLive: a group's older messages arriving through
// backfill go to the joined resource, delayed, while live messages keep
// flowing; older than anything the room's archive holds, they go before
// it, at their own times (where a client scrolling back finds them), and
// the live ones as they arrived.
func TestRoomBacklogWhileLive(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	groupchat(t, alice, "backlog 5")
	groupchat(t, alice, "live one")
	roomMessage(t, alice, "Echo One", "live one")
	for i := range 5 {
		st := roomMessage(t, alice, "Echo One", "backlog "+string(rune('1'+i))+" of 5")
		if !strings.Contains(st.XML, "urn:xmpp:delay") {
			t.Errorf("backfilled message not delayed: %s", st.XML)
		}
	}
	groupchat(t, alice, "live two")
	roomMessage(t, alice, "Echo One", "live two")
	j := join(t, s.loginResource("alice", "phone"), "a", `<history maxstanzas='50'/>`)
	var bodies []string
	for _, h := range j.history {
		if h.Body != "" && nick(h.From) == "Echo One" {
			bodies = append(bodies, h.Body)
		}
		if h.Body == "backlog 1 of 5" {
			if at := delayedAt(t, h); time.Since(at) < 4*time.Minute {
				t.Errorf("history shows the backlog at %v, not its time: %s", at, h.XML)
			}
		}
	}
	want := "backlog 1 of 5|backlog 2 of 5|backlog 3 of 5|backlog 4 of 5|backlog 5 of 5|live one|live two"
	if strings.Join(bodies, "|") != want {
		t.Errorf("archive order:\n got %s\nwant %s", strings.Join(bodies, "|"), want)
	}
}

// TestRoomBackfillOnLogin: a group's history fetched at login fills its
// room's archive as the history lane delivers it. A resource joining
// meanwhile gets each message once: what is archived already as its
// history, the rest live, all delayed and oldest first.
func TestRoomBackfillOnLogin(t *testing.T) {
	s := newStack(t, stackOptions{backfill: "50"})
	alice := roomUser(t, s, "alice")
	j := join(t, alice, "a", `<history maxstanzas='50'/>`)
	got := j.history
	for len(got) < 30 {
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "message" && bareJID(s.From) == room && strings.Contains(s.XML, `xmlns="urn:xmpp:delay"`)
		})
		if err != nil {
			t.Fatalf("after %d history messages: %v", len(got), err)
		}
		got = append(got, st)
	}
	for i, h := range got {
		if want := "history " + strconv.Itoa(i+1) + " of 30"; h.Body != want || nick(h.From) != "Echo One" {
			t.Fatalf("history message %d: want %q from Echo One, got %s", i, want, h.XML)
		}
	}
	time.Sleep(300 * time.Millisecond)
	for _, st := range alice.Pending() {
		if bareJID(st.From) == room && strings.HasPrefix(st.Body, "history ") {
			t.Fatalf("a history message twice: %s", st.XML)
		}
	}
	// Once all of it is archived, a join gets it whole.
	s.logs.waitLog(t, "chat=echo-room ended=done", timeout)
	if j := join(t, s.loginResource("alice", "phone"), "a", `<history maxstanzas='50'/>`); len(j.history) != 30 {
		t.Fatalf("a later join: want the group's 30 messages, got %d", len(j.history))
	}
}

// TestRoomRichFeatures: in a room, a correction, a reaction and a
// retraction go to the network and are reflected, and the network's own
// (Echo One mirrors each) name the messages as clients know them: a
// correction by the message's id, a reaction and a retraction by the
// room's stanza-id. What the user wrote from the network's own app
// appears as theirs.
func TestRoomRichFeatures(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	id := groupchat(t, alice, "first")
	ownSID := stanzaID(t, roomMessage(t, alice, self, "first"))
	repeat := roomMessage(t, alice, "Echo One", "first")
	repeatSID := stanzaID(t, repeat)

	send := func(raw string) {
		t.Helper()
		if err := alice.SendRaw(ctxT(t), raw); err != nil {
			t.Fatal(err)
		}
	}
	next := func(from, contains string) xmpptest.Stanza {
		t.Helper()
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "message" && s.From == from && strings.Contains(s.XML, contains)
		})
		if err != nil {
			t.Fatalf("no message from %s with %s: %v; pending %v", from, contains, err, alice.Pending())
		}
		return st
	}

	send(`<message type='groupchat' id='fix1' to='` + room + `'><body>first, fixed</body><replace xmlns='urn:xmpp:message-correct:0' id='` + id + `'/></message>`)
	if st := next(room+"/"+self, "urn:xmpp:message-correct:0"); st.Body != "first, fixed" {
		t.Fatalf("reflected correction: %s", st.XML)
	} else if sid := stanzaID(t, st); sid == ownSID {
		// The echo network answers the edit with the edited message's
		// ID, as WhatsApp, Signal and Telegram do: the correction is no
		// duplicate of the original.
		t.Errorf("the correction reflected under the original's stanza-id %s", sid)
	}
	if st := next(room+"/Echo One", `<replace xmlns="urn:xmpp:message-correct:0" id="`+repeat.ID+`"`); st.Body != "first, fixed" {
		t.Fatalf("Echo One's correction: %s", st.XML)
	}

	send(`<message type='groupchat' id='r1' to='` + room + `'><reactions xmlns='urn:xmpp:reactions:0' id='` + repeatSID + `'><reaction>❤️</reaction></reactions></message>`)
	next(room+"/"+self, "❤️")
	next(room+"/Echo One", `<reactions xmlns="urn:xmpp:reactions:0" id="`+ownSID+`"`)

	send(`<message type='groupchat' id='x1' to='` + room + `'><retract xmlns='urn:xmpp:message-retract:1' id='` + ownSID + `'/></message>`)
	next(room+"/"+self, "urn:xmpp:message-retract:1")
	next(room+"/Echo One", `<retract xmlns="urn:xmpp:message-retract:1" id="`+repeatSID+`"`)
	// Both retracted messages are tombstones in the archive now, and so
	// are their corrections, which hold their words too.
	j := join(t, s.loginResource("alice", "phone"), "a", `<history maxstanzas='50'/>`)
	tombstones := 0
	for _, h := range j.history {
		if h.Body == "first" || h.Body == "first, fixed" {
			t.Errorf("a retracted message is still in the history: %s", h.XML)
		}
		if strings.Contains(h.XML, "<retracted") {
			tombstones++
		}
	}
	if tombstones != 4 {
		t.Errorf("history has %d tombstones, want 4 (two messages and their corrections): %v", tombstones, j.history)
	}

	groupchat(t, alice, "from-phone written on the phone")
	roomMessage(t, alice, self, "written on the phone")
	for _, st := range alice.Pending() {
		if st.Type == "error" {
			t.Errorf("an error: %s", st.XML)
		}
	}
}

// TestRoomLeaveByCommand: the ad-hoc command lists the user's groups and
// leaves the one chosen; a group the user is not in is refused.
func TestRoomLeaveByCommand(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	r, _ := command(t, alice, "leave-group", "", "", nil)
	if _, opts, ok := r.Field("room"); !ok || r.Command.Status != "executing" || !strings.Contains(r.XML, `<value>`+room+`</value>`) {
		t.Fatalf("leave-group form: %v %s", opts, r.XML)
	}
	bad, _ := command(t, alice, "leave-group", r.Command.SessionID, "", map[string]string{"room": "elsewhere@" + domain})
	if !strings.Contains(bad.Notes(), "error: You are in no group elsewhere@"+domain) {
		t.Fatalf("leaving a group one is not in: %s", bad.XML)
	}
	r, _ = command(t, alice, "leave-group", "", "", nil)
	done, _ := command(t, alice, "leave-group", r.Command.SessionID, "", map[string]string{"room": room})
	if done.Command.Status != "completed" || !strings.Contains(done.Notes(), "info: You left Echo room.") {
		t.Fatalf("leave-group: %s", done.XML)
	}
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.Type == "unavailable" && s.From == room+"/"+self
	})
	if err != nil || !strings.Contains(st.XML, `code="110"`) {
		t.Fatalf("the joined resource did not see the user leave: %v %s", err, st.XML)
	}
	r, _ = command(t, alice, "leave-group", "", "", nil)
	if !strings.Contains(r.Notes(), "You are in no group") {
		t.Fatalf("after leaving: %s", r.XML)
	}
}

// TestRoomLogout: unregistering ends the user's rooms: each joined
// resource is told it is out (332), and the archive goes with the login.
func TestRoomLogout(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	groupchat(t, alice, "before the logout")
	roomMessage(t, alice, "Echo One", "before the logout")
	if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.From == room+"/Echo Two" }); err != nil {
		t.Fatalf("no reaction: %v", err)
	}
	r, err := alice.IQ(ctxT(t), `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><remove/></query></iq>`)
	if err != nil || r.Type != "result" {
		t.Fatalf("unregister: %v %s", err, r.XML)
	}
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.Type == "unavailable" && s.From == room+"/"+self
	})
	if err != nil || !strings.Contains(st.XML, `code="332"`) || !strings.Contains(st.XML, `code="110"`) {
		t.Fatalf("logout: want the user's room closed (110, 332): %v %s", err, st.XML)
	}
	// Registered again: the room is back, without the old archive.
	if r := register(t, alice, "alice-echo"); r.Type != "result" {
		t.Fatalf("register again: %s", r.XML)
	}
	deadline := time.Now().Add(timeout)
	for {
		items, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
		if err == nil && strings.Contains(items.XML, room) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the room never came back: %v %s", err, items.XML)
		}
		time.Sleep(50 * time.Millisecond)
	}
	j := join(t, alice, "a", `<history maxstanzas='50'/>`)
	if len(j.history) != 0 {
		t.Fatalf("the archive outlived the login: %v", j.history)
	}
}

// TestRoomAfterRestart: after a gateway restart a client's self-ping
// says it is no longer joined; it joins again and finds the room's
// archive as it was.
func TestRoomAfterRestart(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	j0 := join(t, alice, "a", "")
	self := nick(j0.self.From)
	// The occupant-ids (XEP-0421) are derived again the same after it.
	ids := occupantsByNick(t, j0)
	selfID := oneOccupantID(t, "self-presence", j0.self)
	groupchat(t, alice, "before the restart")
	roomMessage(t, alice, "Echo One", "before the restart")
	s.stop()
	s.start()
	s.waitGateway(alice)
	ping := `<iq type='get' to='` + room + `/` + self + `'><ping xmlns='urn:xmpp:ping'/></iq>`
	deadline := time.Now().Add(timeout)
	for {
		st, err := alice.IQ(ctxT(t), ping)
		if err == nil && st.Err != nil && st.Err.Condition == "not-acceptable" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("self-ping after a restart: want not-acceptable, got %v %s", err, st.XML)
		}
		time.Sleep(100 * time.Millisecond)
	}
	j := join(t, alice, "a", `<history maxstanzas='50'/>`)
	found := false
	for _, h := range j.history {
		if h.Body == "before the restart" && nick(h.From) == "Echo One" {
			found = true
			if got := oneOccupantID(t, "history", h); got != ids["Echo One"] {
				t.Errorf("Echo One's archived message after the restart with occupant-id %q, before %q", got, ids["Echo One"])
			}
		}
	}
	if !found {
		t.Fatalf("the archive did not survive the restart: %v", j.history)
	}
	if after := occupantsByNick(t, j); after["Echo One"] != ids["Echo One"] || after["Echo Two"] != ids["Echo Two"] ||
		oneOccupantID(t, "self-presence", j.self) != selfID {
		t.Errorf("occupant-ids changed with the restart: before %v (self %s), after %v (self %s)", ids, selfID, after, j.self.XML)
	}
	groupchat(t, alice, "after the restart")
	roomMessage(t, alice, "Echo One", "after the restart")
}

// TestRoomReactionBeforeResult: Echo Two reacts to each of the user's
// messages before the network confirms it ("slow": the result comes
// SlowConfirm after the reaction), so the reaction reaches the gateway
// while its target is not reflected nor archived yet. It must still name
// the target by the room's stanza-id, which groupchat clients match
// reactions on (XEP-0444), never by the client's own id: the reaction's
// delivery waits until the send's result is stored, and the reflection
// (the archive append that gives the stanza-id) comes before that.
func TestRoomReactionBeforeResult(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	bodies := []string{"slow one", "two", "slow three", "four"}
	clientIDs := map[string]bool{}
	for _, b := range bodies {
		clientIDs[groupchat(t, alice, b)] = true
	}
	sids := map[string]bool{}
	for _, b := range bodies {
		sids[stanzaID(t, roomMessage(t, alice, self, b))] = true
	}
	for range bodies {
		react, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "message" && s.From == room+"/Echo Two" && strings.Contains(s.XML, "<reactions")
		})
		if err != nil {
			t.Fatalf("Echo Two's reaction: %v; pending %v", err, alice.Pending())
		}
		m := regexp.MustCompile(`<reactions xmlns="urn:xmpp:reactions:0" id="([^"]*)"`).FindStringSubmatch(react.XML)
		switch {
		case m == nil:
			t.Fatalf("reaction without a target: %s", react.XML)
		case clientIDs[m[1]]:
			t.Errorf("reaction names the client's id %s, not the room's stanza-id: %s", m[1], react.XML)
		case !sids[m[1]]:
			t.Errorf("reaction names %s, none of the reflections' stanza-ids %v: %s", m[1], sids, react.XML)
		}
		delete(sids, m[1])
	}
}

// TestRoomSubjectFromUser: the user's subject change (XEP-0045 §8.1)
// goes to the network, whose topic event brings it back from the user's
// occupant; one the network refuses to a member is forbidden, as the
// XEP says (it was not-allowed).
func TestRoomSubjectFromUser(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	j := join(t, alice, "a", "")
	if err := alice.SendRaw(ctxT(t), `<message type='groupchat' id='s1' to='`+room+`'><subject>Roads and rails</subject></message>`); err != nil {
		t.Fatal(err)
	}
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && bareJID(s.From) == room && (s.Type == "error" || strings.Contains(s.XML, "<subject"))
	})
	if err != nil || st.Type == "error" || st.From != j.self.From || !strings.Contains(st.XML, "<subject>Roads and rails</subject>") {
		t.Fatalf("the user's subject change: %v %s", err, st.XML)
	}
	if err := alice.SendRaw(ctxT(t), `<message type='groupchat' id='s2' to='`+room+`'><subject>admins only, this</subject></message>`); err != nil {
		t.Fatal(err)
	}
	st, err = alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "message" && s.Type == "error" })
	if err != nil || st.ID != "s2" || st.Err.Condition != "forbidden" {
		t.Fatalf("a refused subject change: %v %s, want forbidden", err, st.XML)
	}
}
