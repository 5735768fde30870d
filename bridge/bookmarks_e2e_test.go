package bridge_test

import (
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomBookmarked: where the server grants XEP-0356's iq permission on
// pubsub, the user's room is published to their XEP-0402 bookmarks (with
// autojoin, its name and the user's nick) and no invitation is sent; the
// client reads it from its own PEP; leaving the group retracts it.
// Without the permission, the room comes as one XEP-0249 invitation
// (TestRoomInvitedWithoutPrivilege).
func TestRoomBookmarked(t *testing.T) {
	s, alice := bookmarkedUser(t)
	items, err := alice.IQ(ctxT(t), `<iq type='get'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:bookmarks:1'/></pubsub></iq>`)
	if err != nil || items.Type != "result" {
		t.Fatalf("bookmarks: %v %s", err, items.XML)
	}
	for _, want := range []string{`<item id="` + room + `">`, `<conference xmlns="urn:xmpp:bookmarks:1"`, `autojoin="true"`, `name="Echo room"`, `<nick>`} {
		if !strings.Contains(items.XML, want) {
			t.Errorf("bookmarks lack %s: %s", want, items.XML)
		}
	}
	if n := strings.Count(items.XML, "<item "); n != 1 {
		t.Errorf("want one bookmark, got %d: %s", n, items.XML)
	}
	// The node is XEP-0402's: private to its owner.
	cfg, err := alice.IQ(ctxT(t), `<iq type='get'><pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><configure node='urn:xmpp:bookmarks:1'/></pubsub></iq>`)
	if err != nil || !strings.Contains(cfg.XML, "whitelist") {
		t.Errorf("bookmarks node config: %v %s", err, cfg.XML)
	}
	time.Sleep(300 * time.Millisecond)
	for _, st := range alice.Pending() {
		if strings.Contains(st.XML, "jabber:x:conference") {
			t.Errorf("an invitation as well as the bookmark: %s", st.XML)
		}
	}

	// Out of the group, the bookmark goes: clients would join a room
	// that is no more.
	r, _ := command(t, alice, "leave-group", "", "", nil)
	if done, _ := command(t, alice, "leave-group", r.Command.SessionID, "", map[string]string{"room": room}); done.Command.Status != "completed" {
		t.Fatalf("leave-group: %s", done.XML)
	}
	s.logs.waitLog(t, `msg="room bookmark retracted" transport=echo user=alice@localhost room=`+room, timeout)
	items, err = alice.IQ(ctxT(t), `<iq type='get'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:bookmarks:1'/></pubsub></iq>`)
	if err != nil || items.Type != "result" || strings.Contains(items.XML, room) {
		t.Fatalf("bookmarks after leaving: %v %s", err, items.XML)
	}
}

// TestClientBookmarkAfterGateway: the gateway's bookmark made the user's
// XEP-0402 node (a user with no bookmarks yet); the user's client then
// adds a bookmark of its own with XEP-0402's publish-options, as
// Conversations, Gajim and Dino do (send_last_published_item never among
// them). It is stored. Before, the gateway's publish left that option
// out, the server made the node with its PEP default
// (on_sub_and_presence), and every client's bookmark was refused with
// precondition-not-met (found by review).
func TestClientBookmarkAfterGateway(t *testing.T) {
	_, alice := bookmarkedUser(t)
	const other = "other@conference.localhost"
	st, err := alice.IQ(ctxT(t), `<iq type='set'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:bookmarks:1'><item id='`+other+`'>`+
		`<conference xmlns='urn:xmpp:bookmarks:1' name='Other' autojoin='true'><nick>ali</nick></conference></item></publish>`+
		`<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>`+
		`<field var='pubsub#persist_items'><value>true</value></field><field var='pubsub#max_items'><value>max</value></field>`+
		`<field var='pubsub#send_last_published_item'><value>never</value></field>`+
		`<field var='pubsub#access_model'><value>whitelist</value></field></x></publish-options></pubsub></iq>`)
	if err != nil || st.Type != "result" {
		t.Fatalf("the client's own bookmark, with XEP-0402's publish-options, refused: %v %s", err, st.XML)
	}
	if got := bookmarksOf(t, alice); !strings.Contains(got, other) || !strings.Contains(got, room) {
		t.Errorf("want both bookmarks, the gateway's and the client's: %s", got)
	}
}

// TestRoomInvitedWithoutPrivilege: without XEP-0356's iq permission the
// user's room comes as one XEP-0249 invitation, and nothing is
// bookmarked.
func TestRoomInvitedWithoutPrivilege(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	if r := register(t, alice, "alice-echo"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	inv, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && strings.Contains(st.XML, "jabber:x:conference")
	})
	if err != nil || !strings.Contains(inv.XML, `jid="`+room+`"`) {
		t.Fatalf("invitation: %v %s", err, inv.XML)
	}
	items, err := alice.IQ(ctxT(t), `<iq type='get'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:bookmarks:1'/></pubsub></iq>`)
	if err == nil && strings.Contains(items.XML, room) {
		t.Errorf("bookmarked without the permission: %s", items.XML)
	}
}

// TestRoomBookmarkRenamed: the group renamed on the network is renamed in
// the user's XEP-0402 bookmark too, which keeps what the user made of it
// (autojoin off, their nick, an extension); a bookmark the user deleted
// is not made again by the next rename. (The bookmark kept the name it
// was published with.)
func TestRoomBookmarkRenamed(t *testing.T) {
	s, alice := bookmarkedUser(t)

	// The user's client changes the bookmark: no autojoin, its own nick,
	// an extension of its own.
	publishOwnBookmark(t, alice, `<conference xmlns='urn:xmpp:bookmarks:1' name='Echo room' autojoin='false'><nick>ali</nick>`+
		`<extensions><state xmlns='urn:example:client' pinned='yes'/></extensions></conference>`)

	renameGroup(t, alice, "Bridges")
	s.logs.waitLog(t, `msg="room bookmark renamed" transport=echo user=alice@localhost room=`+room, timeout)
	got := bookmarksOf(t, alice)
	for _, want := range []string{`name="Bridges"`, `autojoin="false"`, `<nick>ali</nick>`, `pinned="yes"`} {
		if !strings.Contains(got, want) {
			t.Errorf("renamed bookmark lacks %s: %s", want, got)
		}
	}
	if strings.Contains(got, "Echo room") || strings.Count(got, "<item ") != 1 {
		t.Errorf("want one bookmark, renamed: %s", got)
	}

	// Deleted by the user, it stays deleted.
	pepIQ(t, alice, `<iq type='set'><pubsub xmlns='http://jabber.org/protocol/pubsub'><retract node='urn:xmpp:bookmarks:1' notify='true'><item id='`+room+`'/></retract></pubsub></iq>`)
	renameGroup(t, alice, "Ponts")
	s.logs.waitLog(t, `msg="room bookmark not renamed`, timeout)
	if got := bookmarksOf(t, alice); strings.Contains(got, room) {
		t.Errorf("a deleted bookmark was made again: %s", got)
	}
}

// bookmarkedUser is alice on a server that grants the gateway XEP-0356's
// pubsub permission, registered, once her room is in her bookmarks.
func bookmarkedUser(t *testing.T) (*stack, *xmpptest.Client) {
	t.Helper()
	s := newStack(t, stackOptions{privileged: true})
	alice := s.user("alice")
	s.waitGateway(alice)
	s.logs.waitLog(t, "privileges granted by the server", timeout)
	if r := register(t, alice, "alice-echo"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	s.logs.waitLog(t, `msg="room bookmarked" transport=echo user=alice@localhost room=`+room, timeout)
	return s, alice
}

// TestRoomBookmarkUsersKept: a bookmark of the room the user's client
// made before the gateway announced the room (joined by its address) is
// kept as the user made it (their nick, autojoin, an extension): where
// the grant allows get, the gateway reads the item first and publishes
// nothing over it. Before, the announcement published its own bookmark
// over the user's.
func TestRoomBookmarkUsersKept(t *testing.T) {
	s := newStack(t, stackOptions{privileged: true})
	alice := s.user("alice")
	s.waitGateway(alice)
	s.logs.waitLog(t, "privileges granted by the server", timeout)
	publishOwnBookmark(t, alice, `<conference xmlns='urn:xmpp:bookmarks:1' name='Mine' autojoin='false'><nick>ali</nick>`+
		`<extensions><state xmlns='urn:example:client' pinned='yes'/></extensions></conference>`)
	if r := register(t, alice, "alice-echo"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	// Announced: bookmarked (before) or kept.
	s.logs.waitLog(t, `msg="room bookmark`, timeout)
	got := bookmarksOf(t, alice)
	for _, want := range []string{`name="Mine"`, `autojoin="false"`, `<nick>ali</nick>`, `pinned="yes"`} {
		if !strings.Contains(got, want) {
			t.Errorf("the user's bookmark lacks %s: %s", want, got)
		}
	}
	if n := s.logs.Count(`msg="room bookmark kept: the user has one"`); n != 1 {
		t.Errorf("kept %d times, want 1", n)
	}
}
