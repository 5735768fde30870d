package bridge_test

import (
	"strings"
	"testing"
)

const nsSpoiler = "urn:xmpp:spoiler:0"

// TestSpoilerOut: a message the user marks as a spoiler (XEP-0382, as
// Conversations, Gajim and Dino send it, with a hint or without) reaches
// the network with one spoiler span over the whole text, its styles
// kept; the echo network echoes the spans back, and a whole-body spoiler
// comes back as <spoiler/>. The hint has no place on any network: it is
// not in the text. A message without <spoiler/> is no spoiler.
func TestSpoilerOut(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	to := "bob@" + domain
	for i, tc := range []struct{ typed, spoiler, want string }{
		{"the butler did it", `<spoiler xmlns='` + nsSpoiler + `'>the ending</spoiler>`, "the butler did it"},
		{"*the butler* did it", `<spoiler xmlns='` + nsSpoiler + `'/>`, "*the butler* did it"},
	} {
		id := "sp" + string(rune('a'+i))
		raw(t, alice, `<message type='chat' id='`+id+`' to='`+to+`'><body>`+tc.typed+`</body>`+tc.spoiler+`<origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`)
		m := nextMessage(t, alice, to, timeout)
		if m.Body != tc.want || !strings.Contains(m.XML, nsSpoiler) || strings.Contains(m.XML, "the ending") {
			t.Errorf("echo of spoiler %q: %s", tc.typed, m.XML)
		}
	}
	sendChat(t, alice, to, "no secret")
	if m := nextMessage(t, alice, to, timeout); m.Body != "no secret" || strings.Contains(m.XML, nsSpoiler) {
		t.Errorf("echo of a plain message: %s", m.XML)
	}
	for _, st := range alice.Pending() {
		if st.Type == "error" {
			t.Errorf("unexpected error: %s", st.XML)
		}
	}
}
