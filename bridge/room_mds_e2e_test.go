package bridge_test

import (
	"passerelle.im/passerelle/internal/xmpptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestRoomReadOnPhoneSynced: the user reading the group on their phone
// (their own read receipt in the group) is published, through XEP-0356's
// privileged iq, to their XEP-0490 PEP node: one item named by the
// room's bare JID, naming the room's stanza-id of the message read, on a
// node private to the user. The client joined meanwhile still gets the
// displayed marker. Before, only the joined clients learnt of the read.
func TestRoomReadOnPhoneSynced(t *testing.T) {
	_, alice := bookmarkedUser(t)
	join(t, alice, "alice", "")
	groupchat(t, alice, "read-on-phone seen on the phone")
	sid := stanzaID(t, roomMessage(t, alice, "", "seen on the phone"))

	// The joined client: the marker from the user's own occupant.
	if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && bareJID(s.From) == room && strings.Contains(s.XML, `<displayed xmlns="urn:xmpp:chat-markers:0" id="`+sid+`"`)
	}); err != nil {
		t.Errorf("no displayed marker for the joined client: %v", err)
	}

	sidRe := regexp.MustCompile(`<stanza-id [^>]*>`)
	deadline := time.Now().Add(timeout)
	for {
		items, err := alice.IQ(ctxT(t), `<iq type='get'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:mds:displayed:0'/></pubsub></iq>`)
		if err == nil && items.Type == "result" && strings.Contains(items.XML, `<item id="`+room+`"`) {
			if n := strings.Count(items.XML, "<item "); n != 1 {
				t.Errorf("want one item, got %d: %s", n, items.XML)
			}
			if !strings.Contains(items.XML, `<displayed xmlns="urn:xmpp:mds:displayed:0"`) {
				t.Errorf("the item is no <displayed/>: %s", items.XML)
			}
			el := sidRe.FindString(items.XML)
			for _, want := range []string{`xmlns="urn:xmpp:sid:0"`, `by="` + room + `"`, `id="` + sid + `"`} {
				if !strings.Contains(el, want) {
					t.Errorf("the item's stanza-id lacks %s: %s", want, items.XML)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the read on the phone never reached the MDS node: %v %s", err, items.XML)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cfg, err := alice.IQ(ctxT(t), `<iq type='get'><pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><configure node='urn:xmpp:mds:displayed:0'/></pubsub></iq>`)
	if err != nil || !strings.Contains(cfg.XML, "whitelist") {
		t.Errorf("MDS node not private to the user: %v %s", err, cfg.XML)
	}
}

// TestRoomReadOnPhoneUnprivileged: without XEP-0356's pubsub permission,
// the reads on the phone still mark the joined clients' room read, and
// the gateway says once, not at each read, that it cannot synchronize
// them.
func TestRoomReadOnPhoneUnprivileged(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "alice", "")
	for _, text := range []string{"first read", "second read"} {
		groupchat(t, alice, "read-on-phone "+text)
		sid := stanzaID(t, roomMessage(t, alice, "", text))
		if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "message" && bareJID(s.From) == room && strings.Contains(s.XML, `<displayed xmlns="urn:xmpp:chat-markers:0" id="`+sid+`"`)
		}); err != nil {
			t.Fatalf("no displayed marker of %q for the joined client: %v", text, err)
		}
	}
	const said = `msg="reads on other devices not synchronized (XEP-0490)`
	s.logs.waitLog(t, said, timeout)
	if n := s.logs.Count(said); n != 1 {
		t.Errorf("said %d times, want once", n)
	}
}

// TestRoomReadOnPhoneNodeRefuses: where the user's MDS node has options
// other than XEP-0490's (a client made it without publish-options),
// every publish is refused precondition-not-met; the gateway says so
// once at Info, and the next refusals at Debug. Before, each read on the
// phone logged the refusal at Info.
func TestRoomReadOnPhoneNodeRefuses(t *testing.T) {
	s, alice := bookmarkedUser(t)
	// The node made by the user's client with the server's defaults.
	if r, err := alice.IQ(ctxT(t), `<iq type='set'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:mds:displayed:0'>`+
		`<item id='someone@localhost'><displayed xmlns='urn:xmpp:mds:displayed:0'><stanza-id xmlns='urn:xmpp:sid:0' by='alice@localhost' id='x'/></displayed></item>`+
		`</publish></pubsub></iq>`); err != nil || r.Type != "result" {
		t.Fatalf("the client's own publish: %v %v", err, r)
	}
	join(t, alice, "alice", "")
	for _, text := range []string{"first read", "second read"} {
		groupchat(t, alice, "read-on-phone "+text)
		roomMessage(t, alice, "", text)
	}
	s.logs.waitLog(t, `level=DEBUG msg="read on another device not synchronized (XEP-0490)`, timeout)
	const info = `level=INFO msg="read on another device not synchronized (XEP-0490)`
	if n := s.logs.Count(info); n != 1 {
		t.Errorf("the refusal said %d times at Info, want once:\n%s", n, s.logs.String())
	}
	if !strings.Contains(s.logs.String(), "precondition-not-met") {
		t.Errorf("the refusal is not precondition-not-met")
	}
}
