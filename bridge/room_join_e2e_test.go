package bridge_test

import (
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// isMUC is what Gajim (nbxmpp's DiscoInfo.is_muc) requires of a room
// before it joins: a conference identity and the muc feature.
func isMUC(d discoInfo) bool {
	for _, id := range d.Identities {
		if id.Category == "conference" {
			return slices.Contains(d.features(), "http://jabber.org/protocol/muc")
		}
	}
	return false
}

// isContact: a contact's identity (client) and no room's.
func isContact(d discoInfo) bool {
	return !isMUC(d) && len(d.Identities) > 0 && d.Identities[0].Category == "client"
}

// TestJoinChatByNameDisco: a client checks a room with disco#info before
// it joins it. Where the network joins chats by name, an address that is
// no contact and no known room answers as a room (conference identity
// named after the address, the muc feature, no password asked), so the
// client joins it, and the join is redirected to the group's own room as
// before; a contact's address still answers as a contact's, and a room's
// as that room's.
func TestJoinChatByNameDisco(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	s.logs.waitLog(t, "contacts synced", timeout)
	byName := "public-rust@" + domain

	d, st := getDiscoInfo(t, alice, byName, "")
	if st.Type != "result" || !isMUC(d) {
		t.Fatalf("disco#info of a name to join: want a room, got %s", st.XML)
	}
	if d.Identities[0].Name != "public-rust" || d.Identities[0].Type != "text" {
		t.Errorf("identity: want conference/text named public-rust, got %+v", d.Identities)
	}
	if fs := d.features(); slices.Contains(fs, "muc_passwordprotected") || !slices.Contains(fs, "muc_public") {
		t.Errorf("features: want muc_public and no password, got %v", fs)
	}
	if s.logs.Count("joining a group by its ID") != 0 {
		t.Error("the disco query reached the network")
	}

	// A contact is a contact still.
	d, st = getDiscoInfo(t, alice, "echo-1@"+domain, "")
	if st.Type != "result" || !isContact(d) {
		t.Errorf("disco#info of a contact: %s", st.XML)
	}
	// So is a stranger: a name without the network's chat prefixes
	// (join_chat_prefixes) is a person's, as an IRC nick.
	if d, st = getDiscoInfo(t, alice, "stranger@"+domain, ""); st.Type != "result" || !isContact(d) {
		t.Errorf("disco#info of a stranger: want a contact's, got %s", st.XML)
	}
	// So is an occupant's address, and a node of the caps kind.
	if d, st = getDiscoInfo(t, alice, byName+"/gopher", ""); st.Type != "result" || isMUC(d) {
		t.Errorf("disco#info of an occupant's address: %s", st.XML)
	}
	if _, st = getDiscoInfo(t, alice, byName, "https://passerelle.im#x"); st.Type != "error" {
		t.Errorf("disco#info of a node of a name: %s", st.XML)
	}

	// The client joins, and is redirected as before.
	joinRedirected(t, alice, byName, "rust")
	// The group's own room answers as itself.
	d, st = getDiscoInfo(t, alice, channelRoom("rust"), "")
	if st.Type != "result" || !isMUC(d) || d.Identities[0].Name != "#rust" || !slices.Contains(d.features(), "muc_membersonly") {
		t.Errorf("disco#info of the group's room: %s", st.XML)
	}
}

// TestNameDiscoWithoutJoinChat: a network that cannot join chats by name
// keeps the answer it gave before: an address of no room is a contact's.
func TestNameDiscoWithoutJoinChat(t *testing.T) {
	s := newStack(t, stackOptions{plugin: minimalBin(t)})
	alice := registered(t, s, "alice")
	d, st := getDiscoInfo(t, alice, "public-rust@"+domain, "")
	if st.Type != "result" || !isContact(d) {
		t.Errorf("disco#info without join_chat: want a contact's, got %s", st.XML)
	}
}

// joinAnswer waits for the answer to a join of occupant (room/nick) sent
// before: the error presence, or nil once the subject came.
func joinAnswer(t *testing.T, c *xmpptest.Client, occupant string) *xmpptest.Stanza {
	t.Helper()
	st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return (s.From == occupant && s.Type == "error") || (bareJID(s.From) == bareJID(occupant) && strings.Contains(s.XML, "<subject"))
	})
	if err != nil {
		t.Fatalf("join %s: no answer: %v", occupant, err)
	}
	if st.Type != "error" {
		return nil
	}
	return &st
}

// TestJoinChatByNameConcurrentPasswords: two joins of the same name at
// once with different passwords (a Telegram joinchat with two invite
// links; echo's secret-go, which needs pw-go) are two commands, each
// answered by its own: the right password is redirected to #go, the
// wrong one refused with not-authorized. (The second got the first one's
// answer.) Joins with the same password still wait for one command. The
// joins go back to back on one stream (two nicks), and echo holds them
// until both reached the gateway, so that they overlap.
func TestJoinChatByNameConcurrentPasswords(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	s.logs.waitLog(t, "contacts synced", timeout)
	byName := "secret-go@" + domain
	join := func(nick, password string) {
		raw(t, alice, `<presence to='`+byName+`/`+nick+`'><x xmlns='http://jabber.org/protocol/muc'><password>`+password+`</password></x></presence>`)
	}
	answer := func(nick string) *xmpptest.Stanza { return joinAnswer(t, alice, byName+"/"+nick) }
	gone := func(who string, e *xmpptest.Stanza) {
		t.Helper()
		if e == nil || e.Err == nil || e.Err.Condition != "gone" || !strings.Contains(e.XML, joinURI(channelRoom("go"))) {
			t.Errorf("%s: want gone naming %s, got %+v", who, channelRoom("go"), e)
		}
	}
	refused := func(who string, e *xmpptest.Stanza) {
		t.Helper()
		if e == nil || e.Err == nil || e.Err.Condition != "not-authorized" {
			t.Errorf("%s: want not-authorized, got %+v", who, e)
		}
	}
	commands := func(want int) {
		t.Helper()
		if n := s.logs.Count("joining a group by its ID"); n != want {
			t.Errorf("%d JoinChat commands, want %d", n, want)
		}
	}
	// held runs joins while echo holds them, until what says they all
	// reached the gateway, n times in all.
	held := func(what string, n int, joins func()) {
		t.Helper()
		echoOK(t, alice, echo.HoldJoins, timeout)
		joins()
		waitLogCount(t, s, what, n)
		echoOK(t, alice, echo.ReleaseJoins, timeout)
	}

	// The wrong password first, then the right one, and the reverse.
	held("joining a group by its ID", 2, func() { join("a", "nope"); join("b", "pw-go") })
	refused("wrong password first", answer("a"))
	gone("right password second", answer("b"))
	commands(2)
	held("joining a group by its ID", 4, func() { join("c", "pw-go"); join("d", "nope") })
	gone("right password first", answer("c"))
	refused("wrong password second", answer("d"))
	commands(4)

	// The same password twice: one command.
	held("a join waits for the command under way", 1, func() { join("e", "pw-go"); join("f", "pw-go") })
	gone("same password, first", answer("e"))
	gone("same password, second", answer("f"))
	commands(5)
}

// TestRoomJoinSelfPresenceID: the self-presence that ends a join carries
// the join presence's id (XEP-0045 §7.2.3 lets a room reflect it;
// Conversations and slidge match the join by it), for a first join and
// for a joined resource's join again (a client back from a reconnect);
// it had no id before.
func TestRoomJoinSelfPresenceID(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	for _, id := range []string{"join-first", "join-again"} {
		if err := alice.SendRaw(ctxT(t), `<presence id='`+id+`' to='`+room+`/a'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
			t.Fatal(err)
		}
		self, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && bareJID(s.From) == room && strings.Contains(s.XML, `code="110"`)
		})
		if err != nil {
			t.Fatalf("%s: no self-presence: %v; pending %v", id, err, alice.Pending())
		}
		if !strings.Contains(self.XML, ` id="`+id+`"`) {
			t.Errorf("%s: self-presence without the join's id: %s", id, self.XML)
		}
		if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "message" && strings.Contains(s.XML, "<subject") }); err != nil {
			t.Fatalf("%s: no subject: %v", id, err)
		}
	}
}
