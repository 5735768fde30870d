package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/store"
)

// occupantStanza hands the room path a stanza from one of alice's
// resources; it reports whether the room path took it (false: the
// one-to-one path would, taking the localpart for a contact's ID).
func occupantStanza(t *testing.T, tr *transport, raw string) bool {
	t.Helper()
	st, err := wire.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return tr.roomStanza(context.Background(), st, jid.MustParse(st.From()), jid.MustParse(st.To()))
}

// errorOf is the condition and text of the first error among sent.
func errorOf(t *testing.T, sent []*wire.Stanza) (string, string) {
	t.Helper()
	for _, st := range sent {
		if cond, text := st.ErrorCondition(); cond != "" {
			return cond, text
		}
	}
	t.Fatalf("no error among %d stanzas", len(sent))
	return "", ""
}

func occupantFixture(t *testing.T) (*transport, *session, *room, func() []*wire.Stanza) {
	t.Helper()
	tr, s, r, sent := linkedRoom(t)
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: tr.log}) // no plugin
	tr.access = config.Access{Allow: []string{"localhost"}}
	return tr, s, r, sent
}

// TestPrivateMessageWaitsForRooms: a private message (XEP-0045 §7.5) to
// an occupant of a group whose room the session does not know yet (the
// gateway just started; the login has not listed its chats) waits for
// the rooms and is the room's private message. Before, it went to the
// one-to-one path, which sent it to the network as a direct message to
// the group's own chat ID: posted in the group, for everyone to read
// (found by review).
func TestPrivateMessageWaitsForRooms(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	s.rooms.remove(r.chatID) // not synced yet
	go func() {
		time.Sleep(100 * time.Millisecond)
		s.rooms.add(r.chatID, func() *room { return r })
		s.roomsSyncDone()
	}()
	if !occupantStanza(t, tr, `<message from='alice@localhost/phone' to='g1@echo.localhost/One' id='pm1' type='chat'><body>just between us</body></message>`) {
		t.Fatal("a private message to an occupant went to the one-to-one path, addressed to the group's chat ID")
	}
	// On to echo-1's direct chat, which the plugin, not running here,
	// would take.
	if cond, text := errorOf(t, sent()); cond != string(wire.ServiceUnavailable) || !strings.Contains(text, "plugin") {
		t.Errorf("want the member's direct chat's answer without a plugin, got %s %q", cond, text)
	}
}

// TestPrivateMessageFromNonOccupant: XEP-0045 §7.5: a private message
// from a resource that is not in the room is refused with not-acceptable
// (the client joins again), not sent on to the member. Before, it went
// to the member's one-to-one chat from a resource the room no longer
// counted as joined (after a restart of the gateway, say).
func TestPrivateMessageFromNonOccupant(t *testing.T) {
	tr, s, _, sent := occupantFixture(t)
	if err := tr.db.PutPuppets(context.Background(), []store.Puppet{{Transport: tr.name, LoginID: s.LoginID(), UserID: "echo-1", Name: "One"}}); err != nil {
		t.Fatal(err)
	}
	if !occupantStanza(t, tr, `<message from='alice@localhost/tablet' to='g1@echo.localhost/One' id='pm2' type='chat'><body>psst</body></message>`) {
		t.Fatal("not taken by the room")
	}
	if cond, text := errorOf(t, sent()); cond != string(wire.NotAcceptable) || !strings.Contains(text, "join") {
		t.Errorf("want not-acceptable telling to join, got %s %q", cond, text)
	}
	// A chat state alone gets no error.
	occupantStanza(t, tr, `<message from='alice@localhost/tablet' to='g1@echo.localhost/One' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	if got := sent(); len(got) != 0 {
		t.Errorf("a chat state from a non-occupant was answered: %v", got[0])
	}
}

// TestSelfPingOfRoomGone: XEP-0410 self-ping to a room the user is no
// longer in (the group went away while the gateway was down; it is not
// among the login's rooms after the start) says not-acceptable, so the
// client stops showing the room as joined. Before, the room path left it
// to the contact path, whose "contact" answered the ping: the client
// believed it was still joined, and waited for messages forever.
func TestSelfPingOfRoomGone(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	s.rooms.remove(r.chatID)
	s.roomsSyncDone()
	if !occupantStanza(t, tr, `<iq from='alice@localhost/phone' to='g1@echo.localhost/Alice' id='sp1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`) {
		t.Fatal("the self-ping went to the contact path, which answers it")
	}
	if cond, _ := errorOf(t, sent()); cond != string(wire.NotAcceptable) {
		t.Errorf("self-ping of a room gone: want not-acceptable, got %s", cond)
	}
	// A contact's own address is still the contact path's.
	if err := tr.db.PutPuppets(context.Background(), []store.Puppet{{Transport: tr.name, LoginID: s.LoginID(), UserID: "echo-1", Name: "One"}}); err != nil {
		t.Fatal(err)
	}
	if occupantStanza(t, tr, `<iq from='alice@localhost/phone' to='echo-1@echo.localhost/x' id='sp2' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`) {
		t.Error("a ping to a contact's full JID was taken by the room path")
	}
}

// TestRoomDiscoWaitsForRooms: disco#info on a room not known yet (the
// gateway just started; the login has not listed its chats) waits for
// the rooms and is the room's: a conference. Before, the contact path
// answered it as a contact's, and a client joining its bookmarks then
// (Gajim) refused the room as not a group chat.
func TestRoomDiscoWaitsForRooms(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	s.rooms.remove(r.chatID)
	go func() {
		time.Sleep(100 * time.Millisecond)
		s.rooms.add(r.chatID, func() *room { return r })
		s.roomsSyncDone()
	}()
	if !occupantStanza(t, tr, `<iq from='alice@localhost/phone' to='g1@echo.localhost' id='d1' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`) {
		t.Fatal("the room's disco#info went to the contact path")
	}
	got := sent()
	if len(got) != 1 || got[0].Type() != "result" {
		t.Fatalf("want one result, got %d stanzas", len(got))
	}
	if id := got[0].Payload().Child("", "identity"); id == nil || id.Attr("category") != "conference" {
		t.Errorf("want the room's conference identity: %+v", got[0].Payload())
	}
}
