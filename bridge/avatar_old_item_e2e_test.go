package bridge_test

import (
	"strings"
	"testing"
)

// TestAvatarOldItemNotFound: XEP-0084 asks for an avatar by its hash (the
// item id); an id that is not the contact's current avatar is
// item-not-found, so that the client reads the metadata again. Before, an
// old hash was answered with the current avatar, under its own id.
func TestAvatarOldItemNotFound(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	if r := register(t, alice, "alice"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	get := func(node, item string) string {
		t.Helper()
		st, err := alice.IQ(ctxT(t), `<iq type='get' to='echo-1@`+domain+`'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='`+node+`'>`+item+`</items></pubsub></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return st.XML
	}
	meta := get("urn:xmpp:avatar:metadata", "")
	i := strings.Index(meta, `<item id="`)
	if i < 0 {
		t.Fatalf("avatar metadata: %s", meta)
	}
	id := meta[i+len(`<item id="`):]
	id = id[:strings.IndexByte(id, '"')]
	if got := get("urn:xmpp:avatar:data", `<item id='`+id+`'/>`); !strings.Contains(got, `type="result"`) || !strings.Contains(got, "<data") {
		t.Errorf("the current avatar by its id: %s", got)
	}
	old := strings.Repeat("0", 40)
	for _, node := range []string{"urn:xmpp:avatar:data", "urn:xmpp:avatar:metadata"} {
		if got := get(node, `<item id='`+old+`'/>`); !strings.Contains(got, "item-not-found") {
			t.Errorf("an old avatar's id on %s: want item-not-found, got %s", node, got)
		}
	}
}
