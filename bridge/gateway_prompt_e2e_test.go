package bridge_test

import (
	"strings"
	"testing"
)

// TestGatewayPromptTooLong: a jabber:iq:gateway lookup whose contact's
// address would be longer than XMPP allows (1023 bytes of localpart) is
// not-acceptable, in words a user understands. Before, it was
// item-not-found with the puppet package's own error text.
func TestGatewayPromptTooLong(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	for _, prompt := range []string{strings.Repeat("x", 1024), strings.Repeat("é", 250)} {
		r, err := alice.IQ(ctxT(t), `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:gateway'><prompt>`+prompt+`</prompt></query></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		if r.Err == nil || r.Err.Condition != "not-acceptable" || !strings.Contains(r.Err.Text, "longer than XMPP allows (1023 bytes)") || strings.Contains(r.Err.Text, "puppet") {
			t.Fatalf("a prompt of %d bytes: want not-acceptable in plain words, got %.400s", len(prompt), r.XML)
		}
	}
	r, err := alice.IQ(ctxT(t), `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:gateway'><prompt>`+strings.Repeat("x", 1023)+`</prompt></query></iq>`)
	if err != nil || !strings.Contains(r.XML, "<jid>"+strings.Repeat("x", 1023)+"@"+domain+"</jid>") {
		t.Fatalf("a prompt of 1023 bytes: %v %.400s", err, r.XML)
	}
}
