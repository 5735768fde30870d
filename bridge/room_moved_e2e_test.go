package bridge_test

import (
	"encoding/xml"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// Groups the network moves or deletes, as a client sees them through a
// real Prosody: the echo network's "move-group #NEW" and "delete-group"
// in a channel (examples/echo/group_gone.go).

// destroyX is the muc#user part of a room's unavailable presence.
type destroyX struct {
	X struct {
		Destroy *struct {
			JID    string `xml:"jid,attr"`
			Reason string `xml:"reason"`
		} `xml:"destroy"`
		Status []struct {
			Code string `xml:"code,attr"`
		} `xml:"status"`
	} `xml:"http://jabber.org/protocol/muc#user x"`
}

// roomDestroyed waits for the unavailable self-presence from occupant
// that says its room is destroyed (XEP-0045 §10.9), and returns its
// alternate venue and reason.
func roomDestroyed(t *testing.T, c *xmpptest.Client, occupant string) (venue, reason string) {
	t.Helper()
	st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.Type == "unavailable" && s.From == occupant
	})
	if err != nil {
		t.Fatalf("no unavailable presence from %s: %v; pending: %v", occupant, err, c.Pending())
	}
	return destroyedBy(t, st)
}

// destroyedBy reads st, the user's occupant's end in a destroyed room
// (XEP-0045 §10.9): its alternate venue and reason.
func destroyedBy(t *testing.T, st xmpptest.Stanza) (venue, reason string) {
	t.Helper()
	var p destroyX
	if err := xml.Unmarshal([]byte(st.XML), &p); err != nil {
		t.Fatalf("presence: %v: %s", err, st.XML)
	}
	if p.X.Destroy == nil {
		t.Fatalf("the room's end says nothing of its destruction: %s", st.XML)
	}
	if !slices.ContainsFunc(p.X.Status, func(s struct {
		Code string `xml:"code,attr"`
	}) bool {
		return s.Code == "110"
	}) {
		t.Errorf("the destruction is not marked as the user's own presence (110): %s", st.XML)
	}
	return p.X.Destroy.JID, p.X.Destroy.Reason
}

// listsRoom reports whether the transport's disco#items lists roomJID.
func listsRoom(t *testing.T, c *xmpptest.Client, roomJID string) bool {
	t.Helper()
	items, err := c.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
	if err != nil {
		t.Fatalf("disco#items: %v", err)
	}
	return strings.Contains(items.XML, `jid="`+roomJID+`"`)
}

// joinGone checks that a join of oldRoom is answered gone, naming newRoom
// to join.
func joinGone(t *testing.T, c *xmpptest.Client, oldRoom, newRoom, when string) {
	t.Helper()
	_, jerr := joinChannel(t, c, oldRoom, "gopher", "")
	if jerr == nil || jerr.Err == nil || jerr.Err.Condition != "gone" || !strings.Contains(jerr.XML, joinURI(newRoom)) {
		t.Fatalf("join of the moved room %s: want gone naming %s, got %+v", when, newRoom, jerr)
	}
}

// TestRoomMovedEndToEnd: the network moves a group to a new chat
// (Telegram's basic group become a supergroup). The joined client sees
// the old room destroyed with the new room as its alternate venue, is
// invited to the new room, which it joins; a later join of the old room
// (a stale bookmark) is answered gone with the new room's address, after
// a restart of the gateway too. Removing the login forgets the move: the
// same account registered again joins that chat as any other.
func TestRoomMovedEndToEnd(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	s.logs.waitLog(t, "contacts synced", timeout)
	oldRoom, newRoom := channelRoom("basic"), channelRoom("super")
	if _, jerr := joinChannel(t, alice, oldRoom, "gopher", ""); jerr != nil {
		t.Fatalf("join %s: %s", oldRoom, jerr.XML)
	}

	raw(t, alice, `<message type='groupchat' id='mv1' to='`+oldRoom+`'><body>move-group #super</body></message>`)
	venue, reason := roomDestroyed(t, alice, oldRoom+"/gopher")
	if venue != newRoom || reason != "#basic became #super" {
		t.Errorf("destroyed: alternate venue %q, reason %q; want %s and the network's text", venue, reason, newRoom)
	}
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && strings.Contains(st.XML, `jid="`+newRoom+`"`)
	}); err != nil {
		t.Fatalf("no invitation to the new room: %v", err)
	}
	if j, jerr := joinChannel(t, alice, newRoom, "gopher", ""); jerr != nil || !strings.Contains(j.subject.XML, "Welcome to #super") {
		t.Fatalf("join of the new room: %+v %+v", jerr, j.subject)
	}
	if listsRoom(t, alice, oldRoom) {
		t.Error("the moved room is still listed")
	}
	joinGone(t, alice, oldRoom, newRoom, "")
	// A message to it (a client that did not see the destruction) too.
	raw(t, alice, `<message type='groupchat' id='mv2' to='`+oldRoom+`'><body>anyone?</body></message>`)
	if st, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool { return st.ID == "mv2" && st.Type == "error" }); err != nil || st.Err.Condition != "gone" {
		t.Errorf("a message to the moved room: want gone, got %v %+v", err, st)
	}

	s.stop()
	s.start()
	s.waitGateway(alice)
	joinGone(t, alice, oldRoom, newRoom, "after a restart")

	r, err := alice.IQ(ctxT(t), `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><remove/></query></iq>`)
	if err != nil || r.Type != "result" {
		t.Fatalf("unregister: %v %s", err, r.XML)
	}
	if r := register(t, alice, "alice"); r.Type != "result" {
		t.Fatalf("register again: %s", r.XML)
	}
	for deadline := time.Now().Add(timeout); !listsRoom(t, alice, room); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the login's rooms never came back")
		}
	}
	if _, jerr := joinChannel(t, alice, oldRoom, "gopher", ""); jerr != nil {
		t.Fatalf("join of %s after the login was removed and made again: want the chat joined, got %s", oldRoom, jerr.XML)
	}
}

// TestRoomDeletedEndToEnd: the network deletes a group. The joined
// client sees its room destroyed, with no alternate venue; the room is
// no longer listed, its archive is gone, and a later join is no gone
// (nothing goes on elsewhere): here the echo network makes the channel
// afresh.
func TestRoomDeletedEndToEnd(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	s.logs.waitLog(t, "contacts synced", timeout)
	doomed := channelRoom("doomed")
	if _, jerr := joinChannel(t, alice, doomed, "gopher", ""); jerr != nil {
		t.Fatalf("join %s: %s", doomed, jerr.XML)
	}
	raw(t, alice, `<message type='groupchat' id='d1' to='`+doomed+`'><body>last words</body></message>`)
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.From == doomed+"/Echo One" && st.Body == "last words"
	}); err != nil {
		t.Fatalf("no repeat: %v", err)
	}

	raw(t, alice, `<message type='groupchat' id='d2' to='`+doomed+`'><body>delete-group</body></message>`)
	venue, reason := roomDestroyed(t, alice, doomed+"/gopher")
	if venue != "" || reason != "#doomed was deleted" {
		t.Errorf("destroyed: alternate venue %q, reason %q; want none and the network's text", venue, reason)
	}
	if listsRoom(t, alice, doomed) {
		t.Error("the deleted room is still listed")
	}
	if _, jerr := joinChannel(t, alice, doomed, "gopher", `<history maxstanzas='50'/>`); jerr != nil {
		t.Fatalf("join after the deletion: want the chat joined afresh, got %s", jerr.XML)
	}
	// The join's history (delayed, before the subject) would be queued.
	for _, st := range alice.Pending() {
		if bareJID(st.From) == doomed && strings.Contains(st.XML, `xmlns="urn:xmpp:delay"`) {
			t.Errorf("the deleted group's archive outlived it: %s", st.XML)
		}
	}
}
