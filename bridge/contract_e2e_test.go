package bridge_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// Contract v2's IdentityEvent, ProgressEvent, JoinChat, SetNick and
// Member.is_self, through the real echo plugin and a real Prosody.

// fromContact waits for a message from the contact's bare JID that
// matches.
func fromContact(t *testing.T, c *xmpptest.Client, contact, what string, match func(xmpptest.Stanza) bool) xmpptest.Stanza {
	t.Helper()
	st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && bareJID(s.From) == contact && match(s)
	})
	if err != nil {
		t.Fatalf("no %s from %s: %v; pending %v", what, contact, err, c.Pending())
	}
	return st
}

// TestIdentityMovesContact: echo-1 becomes +33600 (as a WhatsApp LID
// becomes a phone number), and the network says so twice. The user ends
// with one roster entry for it, the new JID, with the name the user gave
// the old one, pushed once; the room's occupant shows the new real JID; a correction, a
// reaction, a reply and a retraction sent to the new JID naming a message
// of before the move reach the network with the message's own IDs and
// metadata (the echo network checks them, and answers on the right
// message); the old JID is no chat any more.
func TestIdentityMovesContact(t *testing.T) {
	s, alice := privilegedAlice(t)
	const newJID = "+33600@" + domain
	waitRoster(t, alice, "held the echo contacts", func(r map[string]rosterItem) bool { return len(r) == 3 })
	// The user's own name for the contact is what the new entry keeps.
	if st, err := alice.IQ(ctxT(t), `<iq type='set'><query xmlns='jabber:iq:roster'><item jid='echo-1@`+domain+`' name='My Echo'><group>Echo</group></item></query></iq>`); err != nil || st.Type != "result" {
		t.Fatalf("renaming echo-1: %v %s", err, st.XML)
	}
	join(t, alice, "alice", "")

	raw(t, alice, `<message type='chat' id='o1' to='echo-1@`+domain+`'><body>helo</body><origin-id xmlns='urn:xmpp:sid:0' id='o1'/></message>`)
	e := fromContact(t, alice, "echo-1@"+domain, "echo", func(s xmpptest.Stanza) bool { return s.Body == "helo" }).ID

	sendChat(t, alice, "echo-1@"+domain, "identity +33600")
	r := waitRoster(t, alice, "moved echo-1 to "+newJID, func(r map[string]rosterItem) bool {
		_, old := r["echo-1@"+domain]
		return len(r) == 3 && !old && r[newJID].Name == "My Echo"
	})
	if it := r[newJID]; it.Sub != "both" || len(it.Groups) != 1 || it.Groups[0] != "Echo" {
		t.Errorf("new roster item: %+v", it)
	}
	occ, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == room+"/Echo One" && strings.Contains(s.XML, `jid="`+newJID+`"`)
	})
	if err != nil {
		t.Fatalf("the room's occupant with its new JID: %v", err)
	}
	if occ.Type != "" {
		t.Errorf("occupant presence: %s", occ.XML)
	}
	// The second event (a replay) finds the move done: nothing happens.
	s.logs.waitLog(t, "had_old=false", timeout)
	if n := s.logs.Count("contact moved to a new ID"); n != 2 {
		t.Errorf("%d identity events handled, want 2", n)
	}
	// The chat's three messages: the user's two and the echo.
	if n := s.logs.Count("had_old=true messages=3"); n != 1 {
		t.Errorf("the first event should move the chat's 3 messages: log %s", s.logs)
	}
	time.Sleep(300 * time.Millisecond)
	if n := rosterPushes(alice, newJID); n != 1 {
		t.Errorf("%d roster pushes of %s, want 1", n, newJID)
	}
	if len(roster(t, alice)) != 3 {
		t.Errorf("roster after the replay: %v", roster(t, alice))
	}

	to := newJID
	raw(t, alice, `<message type='chat' id='o1fix' to='`+to+`'><body>hello</body><replace xmlns='urn:xmpp:message-correct:0' id='o1'/><origin-id xmlns='urn:xmpp:sid:0' id='o1fix'/></message>`)
	c := fromContact(t, alice, newJID, "correction", has("urn:xmpp:message-correct:0"))
	if c.Body != "hello" || !strings.Contains(c.XML, `id="`+e+`"`) {
		t.Fatalf("correction of the echo received before the move: %s", c.XML)
	}
	raw(t, alice, `<message type='chat' id='r1' to='`+to+`'><reactions xmlns='urn:xmpp:reactions:0' id='`+e+`'><reaction>👍</reaction></reactions></message>`)
	if x := fromContact(t, alice, newJID, "reaction", has("urn:xmpp:reactions:0")); !strings.Contains(x.XML, `id="o1"`) {
		t.Fatalf("reaction to the echo received before the move: %s", x.XML)
	}
	raw(t, alice, `<message type='chat' id='q1' to='`+to+`'><body>sure</body><reply xmlns='urn:xmpp:reply:0' to='`+to+`' id='`+e+`'/><origin-id xmlns='urn:xmpp:sid:0' id='q1'/></message>`)
	if q := fromContact(t, alice, newJID, "reply", has("urn:xmpp:reply:0")); !strings.Contains(q.XML, `id="q1"`) || !strings.HasPrefix(q.Body, "> sure") {
		t.Fatalf("reply: %s", q.XML)
	}
	raw(t, alice, `<message type='chat' id='x1' to='`+to+`'><retract xmlns='urn:xmpp:message-retract:1' id='o1'/><body>retracted</body></message>`)
	if x := fromContact(t, alice, newJID, "retraction", has("urn:xmpp:message-retract:1")); !strings.Contains(x.XML, `id="`+e+`"`) {
		t.Fatalf("retraction: %s", x.XML)
	}
	for _, st := range alice.Pending() {
		if st.Type == "error" {
			t.Errorf("unexpected error: %s", st.XML)
		}
	}
	raw(t, alice, `<message type='chat' id='gone' to='echo-1@`+domain+`'><body>still there?</body></message>`)
	if x := fromContact(t, alice, "echo-1@"+domain, "error", func(s xmpptest.Stanza) bool { return s.Type == "error" }); x.Err.Condition != "item-not-found" {
		t.Errorf("message to the old JID: %s", x.XML)
	}

	// A new ID no JID can hold (its escaped localpart is over 1023
	// bytes): the event is dropped with a warning, and the contact the
	// user has stays as it is.
	sendChat(t, alice, "echo-3@"+domain, "identity "+strings.Repeat("é", 250))
	s.logs.waitLog(t, "identity event: the new ID has no JID", timeout)
	time.Sleep(200 * time.Millisecond)
	if r := roster(t, alice); len(r) != 3 || r["echo-3@"+domain].Name != "Echo Three" {
		t.Errorf("roster after an identity event with a bad ID: %v", r)
	}
}

// TestIdentityWithoutPrivilege: without roster permission the new
// contact asks to be added and the old one cancels its subscription.
func TestIdentityWithoutPrivilege(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	roster(t, alice) // an interested resource gets the subscription presences
	old := "echo-2@" + domain
	nextPresence(t, alice, old, "subscribe", nil)
	raw(t, alice, `<presence type='subscribed' to='`+old+`'/>`)
	raw(t, alice, `<presence type='subscribe' to='`+old+`'/>`)
	nextPresence(t, alice, old, "subscribed", nil)
	sendChat(t, alice, old, "identity +33700")
	sub := nextPresence(t, alice, "+33700@"+domain, "subscribe", nil)
	if !strings.Contains(sub.XML, "<nick xmlns=\"http://jabber.org/protocol/nick\">Echo Two</nick>") {
		t.Errorf("subscription request of the new JID without the name: %s", sub.XML)
	}
	nextPresence(t, alice, old, "unsubscribed", nil)
	raw(t, alice, `<presence type='subscribed' to='+33700@`+domain+`'/>`)
	waitRoster(t, alice, "lost the old JID and got the new one", func(r map[string]rosterItem) bool {
		o, hasOld := r[old]
		_, hasNew := r["+33700@"+domain]
		return hasNew && (!hasOld || o.Sub == "none")
	})
	s.logs.waitLog(t, "had_old=false", timeout)
}

var statusRe = regexp.MustCompile(`<status>([^<]*)</status>`)

// TestProgressShown: a task of 20 steps 50 ms apart (a second in all) is
// shown as the transport's presence status, at most about once a second,
// the last shown step being the newest at the time; one chat line when it
// starts and one when it ends; then the transport's presence is back to
// the login's state, without the task.
func TestProgressShown(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	nextPresence(t, alice, domain, "", nil) // connected
	start := time.Now()
	sendChat(t, alice, "bob@"+domain, "progress 20")
	if m := nextMessage(t, alice, domain, timeout); m.Body != "Started: history: 0 of 20 chats." {
		t.Errorf("start line: %q", m.Body)
	}
	var shown []string
	for {
		p := nextPresence(t, alice, domain, "", nil)
		st := ""
		if m := statusRe.FindStringSubmatch(p.XML); m != nil {
			st = m[1]
		}
		if st == "" {
			break // the login's own presence again
		}
		shown = append(shown, st)
	}
	took := time.Since(start)
	if len(shown) == 0 || shown[0] != "history: 0 of 20 chats" {
		t.Errorf("first progress shown: %q", shown)
	}
	if max := int(took/time.Second) + 2; len(shown) > max {
		t.Errorf("%d progress presences in %v, want at most %d: %q", len(shown), took, max, shown)
	}
	if m := nextMessage(t, alice, domain, timeout); m.Body != "Done: history: 20 of 20 chats." {
		t.Errorf("end line: %q", m.Body)
	}
	time.Sleep(1500 * time.Millisecond) // a pending update would have come by now
	for _, st := range alice.Pending() {
		if st.Name == "presence" && st.From == domain && st.Type == "" {
			t.Errorf("presence after the task ended: %s", st.XML)
		}
	}
	_ = s
}

// channelRoom is the room JID of an echo channel.
func channelRoom(name string) string { return "#" + name + "@" + domain }

// joinURI is the xmpp: URI to join an echo room (RFC 5122): a channel's
// '#' percent-encoded.
func joinURI(roomJID string) string {
	return "xmpp:" + strings.Replace(roomJID, "#", "%23", 1) + "?join"
}

// joinChannel joins an echo channel's room and reads up to the subject;
// it returns the stanzas, or the error presence.
func joinChannel(t *testing.T, c *xmpptest.Client, roomJID, nick, x string) (joined, *xmpptest.Stanza) {
	t.Helper()
	raw(t, c, `<presence to='`+roomJID+`/`+nick+`'><x xmlns='http://jabber.org/protocol/muc'>`+x+`</x></presence>`)
	var j joined
	ctx := ctxT(t)
	for {
		st, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
			return bareJID(s.From) == roomJID && (s.Name == "presence" || strings.Contains(s.XML, "<subject"))
		})
		if err != nil {
			t.Fatalf("join %s: %v (so far %+v)", roomJID, err, j)
		}
		switch {
		case st.Type == "error":
			return j, &st
		case st.Name == "presence" && strings.Contains(st.XML, `code="110"`):
			j.self = st
		case st.Name == "presence":
			j.occupants = append(j.occupants, st)
		default:
			j.subject = st
			return j, nil
		}
	}
}

// TestJoinChatByID: a join to a room the gateway does not know becomes a
// JoinChat of the chat its localpart names, with the nick and the MUC
// password; the network's chat completes it as a known room's join (Echo
// One as occupant, the user's self-presence with the nick asked, marked
// is_self by the network and so not an occupant of its own, the
// subject); errors are the join's error presence; the room is then a
// room like the others (disco#items, messages both ways).
func TestJoinChatByID(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	s.logs.waitLog(t, "contacts synced", timeout) // members are named after them
	info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
	if err != nil || strings.Contains(info.XML, "#go") {
		t.Fatalf("disco#items before the join: %v %s", err, info.XML)
	}

	j, jerr := joinChannel(t, alice, channelRoom("go"), "gopher", "")
	if jerr != nil {
		t.Fatalf("join refused: %s", jerr.XML)
	}
	if len(j.occupants) != 1 || nick(j.occupants[0].From) != "Echo One" {
		t.Errorf("occupants: want Echo One alone, got %v", j.occupants)
	}
	if nick(j.self.From) != "gopher" || strings.Contains(j.self.XML, `code="210"`) {
		t.Errorf("self-presence: want gopher as asked, got %s", j.self.XML)
	}
	if !strings.Contains(j.subject.XML, "<subject>Welcome to #go</subject>") {
		t.Errorf("subject: %s", j.subject.XML)
	}
	items, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
	if err != nil || !strings.Contains(items.XML, `jid="`+channelRoom("go")+`"`) {
		t.Errorf("the channel is not listed: %v %s", err, items.XML)
	}
	raw(t, alice, `<message type='groupchat' id='g1' to='`+channelRoom("go")+`'><body>hi all</body></message>`)
	if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.From == channelRoom("go")+"/Echo One" && s.Body == "hi all"
	}); err != nil {
		t.Fatalf("Echo One's repeat in the channel: %v", err)
	}

	_, jerr = joinChannel(t, alice, channelRoom("nowhere"), "gopher", "")
	if jerr == nil || jerr.Err == nil || jerr.Err.Condition != "item-not-found" {
		t.Errorf("join of no channel: want item-not-found, got %+v", jerr)
	}
	_, jerr = joinChannel(t, alice, channelRoom("locked"), "gopher", "")
	if jerr == nil || jerr.Err == nil || jerr.Err.Condition != "not-authorized" {
		t.Errorf("join without the key: want not-authorized, got %+v", jerr)
	}
	// Banned: forbidden of type auth (XEP-0045 §7.2.8), not not-allowed.
	_, jerr = joinChannel(t, alice, channelRoom("banned"), "gopher", "")
	if jerr == nil || jerr.Err == nil || jerr.Err.Condition != "forbidden" || jerr.Err.Type != "auth" {
		t.Errorf("join of a channel the user is banned from: want forbidden (auth), got %+v", jerr)
	}
	j, jerr = joinChannel(t, alice, channelRoom("locked"), "gopher", "<password>sesame</password>")
	if jerr != nil || nick(j.self.From) != "gopher" {
		t.Errorf("join with the key: %+v %+v", jerr, j.self)
	}
	// A contact's address, which is no group, is still no room.
	_, jerr = joinChannel(t, alice, "echo-1@"+domain, "x", "")
	if jerr == nil || jerr.Err == nil || jerr.Err.Condition != "item-not-found" {
		t.Errorf("join of a contact: want item-not-found, got %+v", jerr)
	}
}

// TestJoinChatByName: a group joined by another name than its ID (echo's
// "public-rust" is the channel #rust, as a Telegram group's @name is its
// -100N): the join of the name is answered with gone, naming the
// group's own room, which the user is invited to as to any new group,
// and which is then joined as usual.
func TestJoinChatByName(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	s.logs.waitLog(t, "contacts synced", timeout)
	byName := "public-rust@" + domain
	// The group's room is announced (an invitation, the server granting no
	// bookmarks here), and joins as any room.
	joinRedirected(t, alice, byName, "rust")
	j, jerr := joinChannel(t, alice, channelRoom("rust"), "gopher", "")
	if jerr != nil || !strings.Contains(j.subject.XML, "Welcome to #rust") {
		t.Fatalf("join of the group's room: %+v %s", jerr, j.subject.XML)
	}
	if _, jerr = joinChannel(t, alice, "public-nowhere@"+domain, "gopher", ""); jerr == nil || jerr.Err == nil || jerr.Err.Condition != "item-not-found" {
		t.Errorf("join of no group by name: want item-not-found, got %+v", jerr)
	}
}

// TestJoinUnknownRoomWithoutJoinChat: a network without join_chat (and
// without groups) refuses a join of an unknown room with item-not-found,
// as before the contract had JoinChat.
func TestJoinUnknownRoomWithoutJoinChat(t *testing.T) {
	s := newStack(t, stackOptions{plugin: minimalBin(t)})
	alice := registered(t, s, "alice")
	_, jerr := joinChannel(t, alice, channelRoom("go"), "gopher", "")
	if jerr == nil || jerr.Err == nil || jerr.Err.Condition != "item-not-found" {
		t.Errorf("join: want item-not-found, got %+v", jerr)
	}
	if s.logs.Count("joining a group by its ID") != 0 {
		t.Error("a JoinChat was sent to a network without join_chat")
	}
}

// TestSetNick: a nick change in a joined room is a SetNick; the network's
// RENAMED of the user's own member shows as the user's nick change
// (unavailable 303+110 with the new nick, then available 110), to every
// joined resource; later messages come from the new nick. A nick another
// occupant holds is a conflict; one the network refuses, its error.
func TestSetNick(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	phone := s.loginResource("alice", "phone")
	j, jerr := joinChannel(t, alice, channelRoom("go"), "gopher", "")
	if jerr != nil {
		t.Fatalf("join: %s", jerr.XML)
	}
	if _, jerr := joinChannel(t, phone, channelRoom("go"), "gopher", ""); jerr != nil {
		t.Fatalf("second resource's join: %s", jerr.XML)
	}
	_ = j
	rj := channelRoom("go")
	raw(t, alice, `<presence to='`+rj+`/gopher2'/>`)
	for _, c := range []*xmpptest.Client{alice, phone} {
		gone, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.From == rj+"/gopher" })
		if err != nil || gone.Type != "unavailable" || !strings.Contains(gone.XML, `code="303"`) || !strings.Contains(gone.XML, `code="110"`) || !strings.Contains(gone.XML, `nick="gopher2"`) {
			t.Fatalf("nick change, unavailable: %v %s", err, gone.XML)
		}
		back, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.From == rj+"/gopher2" })
		if err != nil || back.Type != "" || !strings.Contains(back.XML, `code="110"`) {
			t.Fatalf("nick change, available: %v %s", err, back.XML)
		}
	}
	raw(t, alice, `<message type='groupchat' id='g1' to='`+rj+`'><body>new name</body></message>`)
	if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.From == rj+"/gopher2" && s.Body == "new name"
	}); err != nil {
		t.Fatalf("own message from the new nick: %v", err)
	}

	raw(t, alice, `<presence id='p2' to='`+rj+`/Echo One'/>`)
	if e, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.Type == "error" }); err != nil || e.Err.Condition != "conflict" {
		t.Errorf("another occupant's nick: want conflict, got %v %s", err, e.XML)
	}
	raw(t, alice, `<presence id='p3' to='`+rj+`/ChanServ'/>`)
	if e, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.Type == "error" }); err != nil || e.Err.Condition != "not-allowed" {
		t.Errorf("a reserved nick: want not-allowed, got %v %s", err, e.XML)
	}
	// A presence update to the current nick is a status change, no nick
	// change: reflected to both resources (TestRoomStatusChange).
	raw(t, alice, `<presence to='`+rj+`/gopher2'><show>away</show></presence>`)
	for _, c := range []*xmpptest.Client{alice, phone} {
		st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && bareJID(s.From) == rj && strings.Contains(s.XML, `code="110"`)
		})
		if err != nil || st.From != rj+"/gopher2" || st.Type != "" || !strings.Contains(st.XML, "<show>away</show>") {
			t.Errorf("status change: want the self-presence of gopher2, away, got %v %s", err, st.XML)
		}
	}
}

// TestSetNickInEchoRoom: in a group whose member list marks nobody (the
// user is the member with the login's ID), the network's RENAMED of that
// member is the user's nick change too.
func TestSetNickInEchoRoom(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	j := join(t, alice, "a", "")
	old := nick(j.self.From)
	raw(t, alice, `<presence to='`+room+`/Alice B'/>`)
	gone := nextPresence(t, alice, room, "unavailable", nil)
	if gone.From != room+"/"+old || !strings.Contains(gone.XML, `code="303"`) || !strings.Contains(gone.XML, `nick="Alice B"`) {
		t.Fatalf("nick change, unavailable: %s", gone.XML)
	}
	// The self-presence: the room's own (its avatar, XEP-0486) and
	// another occupant's (a member's avatar fetched meanwhile: CI saw
	// Echo One's) may come between.
	back := nextPresence(t, alice, room, "", func(s xmpptest.Stanza) bool { return s.From != room && strings.Contains(s.XML, `code="110"`) })
	if back.From != room+"/Alice B" || !strings.Contains(back.XML, `code="110"`) {
		t.Fatalf("nick change, available: %s", back.XML)
	}
}

// joinRedirected joins byName, a name of the channel #channel, and checks
// that the join is answered with gone naming the channel's room, which
// then comes as an invitation.
func joinRedirected(t *testing.T, c *xmpptest.Client, byName, channel string) {
	t.Helper()
	_, jerr := joinChannel(t, c, byName, "gopher", "")
	if jerr == nil || jerr.Err == nil || jerr.Err.Condition != "gone" || !strings.Contains(jerr.XML, joinURI(channelRoom(channel))) {
		t.Fatalf("join by name: want gone naming %s, got %+v", channelRoom(channel), jerr)
	}
	if _, err := c.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && strings.Contains(st.XML, `jid="`+channelRoom(channel)+`"`)
	}); err != nil {
		t.Fatalf("no invitation to the group's room: %v", err)
	}
}

// TestIdentityOfNonContactNoRosterItem: an IdentityEvent of someone the
// user has as no contact under either ID (a WhatsApp group's member known
// by their LID whose number became known) moves their records but makes
// no roster item: the next contact list, which does not name them, took
// it out again, and the person flapped in and out of the roster. The
// replayed copy of the event changes nothing.
func TestIdentityOfNonContactNoRosterItem(t *testing.T) {
	s, alice := privilegedAlice(t)
	sendChat(t, alice, "stranger@"+domain, "identity +33888")
	for deadline := time.Now().Add(timeout); s.logs.Count(`old_user_id=stranger user_id=+33888`) < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the identity event and its replay were not both handled")
		}
	}
	if r := roster(t, alice); r["+33888@"+domain].Sub != "" || len(r) != 3 {
		t.Errorf("roster after a non-contact's identity event: %v", r)
	}
}
