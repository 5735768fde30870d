package bridge_test

import (
	"testing"
)

// TestBodyInStanzaLanguage: of a message's bodies in several languages
// (RFC 6121 §5.2.3), the one in the stanza's language goes to the
// network (the echo contact repeats it), or the one without xml:lang;
// the first was taken, a translation placed before it going instead.
func TestBodyInStanzaLanguage(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	for _, tc := range []struct{ bodies, want string }{
		{`<body xml:lang='de'>Hallo Welt</body><body xml:lang='en'>Hello world</body>`, "Hello world"},
		{`<body xml:lang='de'>Guten Tag</body><body>Good day</body>`, "Good day"},
		{`<body xml:lang='de'>Nur Deutsch</body>`, "Nur Deutsch"},
	} {
		raw(t, alice, `<message type='chat' xml:lang='en' id='`+alice.NewID()+`' to='`+bob+`'>`+tc.bodies+`</message>`)
		if m := nextMessage(t, alice, bob, timeout); m.Body != tc.want {
			t.Errorf("%s: the network had %q, want %q", tc.bodies, m.Body, tc.want)
		}
	}
}
