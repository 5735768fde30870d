package muc

import (
	"testing"

	"passerelle.im/passerelle/bridge/wire"
)

// Only a bounce that says the resource is gone counts: a cancel error of
// a delivery condition, on a message or a presence.
func TestGone(t *testing.T) {
	bounce := func(kind, typ, cond string) string {
		return `<` + kind + ` type="error" from="alice@localhost/phone" to="g1@echo.localhost/One"><error type="` + typ + `"><` + cond + ` xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></` + kind + `>`
	}
	cases := map[string]bool{
		bounce("message", "cancel", "service-unavailable"):     true,
		bounce("message", "cancel", "recipient-unavailable"):   true,
		bounce("message", "cancel", "item-not-found"):          true,
		bounce("message", "cancel", "remote-server-not-found"): true,
		bounce("message", "cancel", "gone"):                    true,
		bounce("presence", "cancel", "service-unavailable"):    true,
		// An error about the stanza, not the resource.
		bounce("message", "modify", "bad-request"):             false,
		bounce("message", "modify", "not-acceptable"):          false,
		bounce("message", "auth", "forbidden"):                 false,
		bounce("message", "cancel", "not-allowed"):             false,
		bounce("message", "cancel", "feature-not-implemented"): false,
		bounce("message", "wait", "remote-server-timeout"):     false,
		bounce("message", "wait", "service-unavailable"):       false,
		// A delivery condition outside its namespace, or no type.
		`<message type="error"><error type="cancel"><service-unavailable/></error></message>`:                               false,
		`<message type="error"><error><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`: false,
		`<message type="error"/>`: false,
		`<iq type="error"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`:               false,
		`<message type="groupchat"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`: false,
	}
	for raw, want := range cases {
		st, err := wire.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := Gone(st); got != want {
			t.Errorf("Gone(%s) = %v, want %v", raw, got, want)
		}
	}
}
