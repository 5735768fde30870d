package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomReplyOldFallbackStripped: a reply (XEP-0461) whose quote is
// marked in XEP-0428's namespace before 0.2 (urn:xmpp:feature-fallback:0,
// which Movim sends) reaches the network as the user's words alone, as
// one marked in today's namespace does: Echo One repeats "sure", not the
// quote. Before, the quote went to the network as words, on top of the
// network's own reply.
func TestRoomReplyOldFallbackStripped(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	groupchat(t, alice, "lunch?")
	repeatSID := stanzaID(t, roomMessage(t, alice, "Echo One", "lunch?"))
	for _, ns := range []string{"urn:xmpp:feature-fallback:0", "urn:xmpp:fallback:0"} {
		raw(t, alice, `<message type='groupchat' id='re-`+ns+`' to='`+room+`'><body>&gt; Echo One: lunch?
sure</body><reply xmlns='urn:xmpp:reply:0' to='`+room+`/Echo One' id='`+repeatSID+`'/><fallback xmlns='`+ns+`' for='urn:xmpp:reply:0'><body start='0' end='19'/></fallback></message>`)
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "message" && s.From == room+"/Echo One" && strings.Contains(s.XML, "urn:xmpp:reply:0")
		})
		if err != nil {
			t.Fatalf("%s: no reply from Echo One: %v; pending %v", ns, err, alice.Pending())
		}
		if strings.Contains(st.Body, "lunch") || !strings.HasSuffix(st.Body, "sure") {
			t.Errorf("%s: the network got the quote as words: Echo One repeats %q", ns, st.Body)
		}
	}
}
