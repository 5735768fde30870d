package bridge_test

import (
	"strings"
	"testing"
)

// A text over the transport's max_text_bytes (the textlimit plugin's 20,
// a plugin that does not check it) is refused by the gateway with
// policy-violation naming the limit, and nothing of it reaches the
// plugin: the next message is the next the plugin gets. A correction
// over it likewise; a reply whose quote would take it over goes without
// the quote.
func TestTextOverTransportLimit(t *testing.T) {
	s := newStack(t, stackOptions{plugin: testPlugin(t, "textlimit")})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	got := func(want string) {
		t.Helper()
		if m := nextMessage(t, alice, bob, timeout); m.Type == "error" || m.Body != want {
			t.Fatalf("want %q from the plugin, got %s", want, m.XML)
		}
	}
	refused := func(id string) {
		t.Helper()
		m := nextMessage(t, alice, bob, timeout)
		if m.Type != "error" || m.ID != id || m.Err == nil || m.Err.Condition != "policy-violation" || !strings.Contains(m.Err.Text, "at most 20 bytes") {
			t.Fatalf("want policy-violation naming the limit for %s, got %s", id, m.XML)
		}
	}

	first := sendChat(t, alice, bob, "short")
	got("got: short")
	// 21 bytes: one over. The limit counts bytes, not characters.
	refused(sendChat(t, alice, bob, strings.Repeat("a", 21)))
	refused(sendChat(t, alice, bob, strings.Repeat("é", 11)))
	// Exactly the limit goes.
	sendChat(t, alice, bob, strings.Repeat("b", 20))
	got("got: " + strings.Repeat("b", 20))

	// A correction over the limit is refused; one within it goes.
	id := alice.NewID()
	raw(t, alice, `<message type='chat' id='`+id+`' to='`+bob+`'><body>`+strings.Repeat("c", 21)+`</body><replace xmlns='urn:xmpp:message-correct:0' id='`+first+`'/></message>`)
	refused(id)
	raw(t, alice, `<message type='chat' id='`+alice.NewID()+`' to='`+bob+`'><body>fixed</body><replace xmlns='urn:xmpp:message-correct:0' id='`+first+`'/></message>`)
	got("edited: fixed")

	// A reply (the plugin has no replies) whose client's quote takes
	// the text over the limit goes as the words alone.
	raw(t, alice, `<message type='chat' id='`+alice.NewID()+`' to='`+bob+`'><body>&gt; short, quoted at length
yes</body><reply xmlns='urn:xmpp:reply:0' to='`+bob+`' id='`+first+`'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='26'/></fallback></message>`)
	got("got: yes")
}
