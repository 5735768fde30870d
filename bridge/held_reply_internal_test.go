package bridge

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/store"
)

// TestHeldErrorReply: a replayed message's error answers the stanza the
// record keeps, from the room (or contact) to the full JID it came from,
// with its ids: Prosody drops an error sent to a bare JID. A record from
// before the stanza was kept gets the reply built from its fields.
func TestHeldErrorReply(t *testing.T) {
	in, err := wire.Parse(`<message xmlns="jabber:component:accept" from="alice@localhost/phone" to="echo-room@echo.localhost" type="groupchat" id="m1">` +
		`<body>hi &amp; bye</body><origin-id xmlns="urn:xmpp:sid:0" id="o1"/></message>`)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestTransport(t).setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "l"})
	h := s.newHeldRecord(in, "echo-room", "o1", parseUserMessage(in)).h
	st := heldStanza(h)
	if st == nil || st.From() != "alice@localhost/phone" || st.Type() != "groupchat" {
		t.Fatalf("the kept stanza read back as %+v from %s", st, h.Stanza)
	}
	if b, _ := st.Body(); b != "hi & bye" {
		t.Fatalf("the kept stanza's body %q", b)
	}
	reply := string(heldErrorReply(h, st, wire.ServiceUnavailable, "gone"))
	for _, want := range []string{`from="echo-room@echo.localhost"`, `to="alice@localhost/phone"`, `id="m1"`, `type="error"`, `<origin-id xmlns="urn:xmpp:sid:0" id="o1"`, "service-unavailable"} {
		if !strings.Contains(reply, want) {
			t.Errorf("reply without %s: %s", want, reply)
		}
	}
	old := store.HeldMessage{UserJID: "alice@localhost", To: "bob@echo.localhost", ID: "m2", OriginID: "o2"}
	reply = string(heldErrorReply(old, heldStanza(old), wire.ServiceUnavailable, "gone"))
	for _, want := range []string{`from="bob@echo.localhost"`, `to="alice@localhost"`, `id="m2"`, `id="o2"`} {
		if !strings.Contains(reply, want) {
			t.Errorf("reply to an older record without %s: %s", want, reply)
		}
	}
}
