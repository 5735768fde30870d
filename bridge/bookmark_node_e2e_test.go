package bridge_test

import (
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// ownerGrant is Prosody's configuration granting the gateway, besides
// the usual privileges, iq set on pubsub#owner (the users' bookmarks
// nodes' configuration). prosodytest's Privileged grants no such thing,
// and writes its grants on the VirtualHost, where they would win: these
// are global, and the component gets mod_privilege in its own section,
// which prosodytest's declaration of it then continues.
const ownerGrant = `privileged_entities = { ["` + domain + `"] = { roster = "both"; message = "outgoing"; iq = {
  ["urn:xmpp:http:upload:0"] = "get"; ["http://jabber.org/protocol/pubsub"] = "both"; ["http://jabber.org/protocol/pubsub#owner"] = "set" }; }; }
Component "` + domain + `"
  modules_enabled = { "privilege" }`

// xep0402Publish is a client's publish of a bookmark of roomJID with all
// of XEP-0402's publish-options, as Conversations, Gajim and Dino give
// them.
func xep0402Publish(roomJID string) string {
	return `<iq type='set'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:bookmarks:1'><item id='` + roomJID + `'>` +
		`<conference xmlns='urn:xmpp:bookmarks:1' name='Mine' autojoin='true'/></item></publish>` +
		`<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>` +
		`<field var='pubsub#persist_items'><value>true</value></field><field var='pubsub#max_items'><value>max</value></field>` +
		`<field var='pubsub#send_last_published_item'><value>never</value></field>` +
		`<field var='pubsub#access_model'><value>whitelist</value></field></x></publish-options></pubsub></iq>`
}

// oldNode sets c's bookmarks node's send_last_published_item to what an
// older gateway left it (Prosody's PEP default), and checks that a
// client's publish is refused then.
func oldNode(t *testing.T, c *xmpptest.Client) {
	t.Helper()
	pepIQ(t, c, `<iq type='set'><pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><configure node='urn:xmpp:bookmarks:1'><x xmlns='jabber:x:data' type='submit'>`+
		`<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field>`+
		`<field var='pubsub#send_last_published_item'><value>on_sub_and_presence</value></field></x></configure></pubsub></iq>`)
	if st, err := c.IQ(ctxT(t), xep0402Publish("refused@conference.localhost")); err != nil || st.Type != "error" || !strings.Contains(st.XML, "precondition-not-met") {
		t.Fatalf("setup: a client's bookmark on the old node: want precondition-not-met, got %v %s", err, st.XML)
	}
}

// clientPublishes waits until c's own XEP-0402 bookmark of roomJID is
// taken: the gateway sets the node right beside its other work.
func clientPublishes(t *testing.T, c *xmpptest.Client, roomJID string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, err := c.IQ(ctxT(t), xep0402Publish(roomJID))
		if err == nil && st.Type == "result" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a client's own bookmark is still refused: %v %s", err, st.XML)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBookmarkNodeFixedAtStart: a user's bookmarks node as an older
// gateway made it (send_last_published_item left to the server's PEP
// default) refuses every client's own bookmark with
// precondition-not-met; the gateway's next start sets the node to
// XEP-0402's options, as the user, through the server's XEP-0356
// permission on pubsub#owner, though it has no room to announce. The
// node stayed as it was: clients could bookmark nothing for good.
func TestBookmarkNodeFixedAtStart(t *testing.T) {
	s := newStack(t, stackOptions{serverModules: []string{"privilege"}, serverConfig: ownerGrant})
	alice := s.user("alice")
	s.waitGateway(alice)
	if r := register(t, alice, "alice-echo"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	s.logs.waitLog(t, `msg="room bookmarked" transport=echo user=alice@localhost room=`+room, timeout)
	s.stop()
	oldNode(t, alice)
	s.start()
	clientPublishes(t, alice, "mine@conference.localhost")
	got := bookmarksOf(t, alice)
	if !strings.Contains(got, room) || !strings.Contains(got, "mine@conference.localhost") {
		t.Errorf("want the gateway's bookmark and the client's: %s", got)
	}
}

// TestBookmarkOnOldNode: a user's room is announced while their node is
// still as an older gateway made it: the gateway's publish, refused
// precondition-not-met, sets the node right and publishes again; the
// room is bookmarked, not sent as an invitation, and the client's own
// bookmarks are taken after it. Before, the room came as an invitation
// and the node stayed as it was.
func TestBookmarkOnOldNode(t *testing.T) {
	s := newStack(t, stackOptions{serverModules: []string{"privilege"}, serverConfig: ownerGrant})
	alice := s.user("alice")
	s.waitGateway(alice)
	s.logs.waitLog(t, "privileges granted by the server", timeout)
	// The node made by an older gateway's publish (no
	// send_last_published_item among its options).
	pepIQ(t, alice, `<iq type='set'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:bookmarks:1'><item id='old@conference.localhost'>`+
		`<conference xmlns='urn:xmpp:bookmarks:1' name='Old' autojoin='true'/></item></publish>`+
		`<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>`+
		`<field var='pubsub#persist_items'><value>true</value></field><field var='pubsub#access_model'><value>whitelist</value></field>`+
		`<field var='pubsub#max_items'><value>max</value></field></x></publish-options></pubsub></iq>`)
	oldNode(t, alice)
	if r := register(t, alice, "alice-echo"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	s.logs.waitLog(t, `msg="room bookmarked" transport=echo user=alice@localhost room=`+room, timeout)
	if st, err := alice.IQ(ctxT(t), xep0402Publish("mine@conference.localhost")); err != nil || st.Type != "result" {
		t.Fatalf("a client's own bookmark after the gateway's: %v %s", err, st.XML)
	}
	for _, st := range alice.Pending() {
		if strings.Contains(st.XML, "jabber:x:conference") {
			t.Errorf("an invitation instead of the bookmark: %s", st.XML)
		}
	}
}
