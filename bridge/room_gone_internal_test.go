package bridge

import (
	"context"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
)

// A bounce that says a joined resource is gone takes that resource, and
// only it, out of the room; errors that say nothing of the resource, or
// that come from elsewhere or go elsewhere, change nothing.
func TestRoomBounceDropsGoneResource(t *testing.T) {
	tr, _, r := roomFixture(t)
	ctx := context.Background()
	bounce := func(from, to, typ, cond string) *wire.Stanza {
		t.Helper()
		st, err := wire.Parse(`<message type="error" from="` + from + `" to="` + to + `"><error type="` + typ + `"><` + cond + ` xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	joined := func() map[string]bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		out := map[string]bool{}
		for res := range r.joined {
			out[res] = true
		}
		return out
	}
	kept := []*wire.Stanza{
		// An error about one stanza: the resource is there.
		bounce("alice@localhost/phone", "g1@echo.localhost/One", "modify", "bad-request"),
		bounce("alice@localhost/phone", "g1@echo.localhost/One", "auth", "forbidden"),
		bounce("alice@localhost/phone", "g1@echo.localhost/One", "wait", "resource-constraint"),
		// Another user's resource of the same name.
		bounce("bob@localhost/phone", "g1@echo.localhost/One", "cancel", "service-unavailable"),
		// From the user's bare JID: no resource to take out.
		bounce("alice@localhost", "g1@echo.localhost", "cancel", "service-unavailable"),
		// To a contact's address (a one-to-one message bounced), not a room.
		bounce("alice@localhost/phone", "echo-1@echo.localhost", "cancel", "service-unavailable"),
		// A resource that is not joined.
		bounce("alice@localhost/tablet", "g1@echo.localhost/One", "cancel", "service-unavailable"),
	}
	for _, st := range kept {
		if tr.roomBounce(ctx, st) {
			t.Errorf("dropped a resource on %s", st.Element.XMLName.Local+" "+st.From()+" -> "+st.To())
		}
		if j := joined(); !j["phone"] || !j["laptop"] || len(j) != 2 {
			t.Fatalf("after an error from %s to %s: joined %v", st.From(), st.To(), j)
		}
	}
	if !tr.roomBounce(ctx, bounce("alice@localhost/phone", "g1@echo.localhost/One", "cancel", "service-unavailable")) {
		t.Error("a gone resource's bounce: not dropped")
	}
	if j := joined(); j["phone"] || !j["laptop"] {
		t.Errorf("after the phone's bounce: joined %v, want the laptop only", j)
	}
	// A bounce of a message from the room itself (its subject) counts too.
	if !tr.roomBounce(ctx, bounce("alice@localhost/laptop", "g1@echo.localhost", "cancel", "recipient-unavailable")) {
		t.Error("a bounce to the room's own JID: not dropped")
	}
	if j := joined(); len(j) != 0 {
		t.Errorf("joined %v, want none", j)
	}
}
