package wire

import "testing"

// TestXMPPURI: a JID's localpart is percent-encoded where RFC 5122 wants
// it (an IRC channel's '#', XEP-0106's '\', a space, non-ASCII as UTF-8
// bytes); what it allows stands as itself.
func TestXMPPURI(t *testing.T) {
	for _, c := range []struct{ bare, query, want string }{
		{"-1001234@telegram.example", "join", "xmpp:-1001234@telegram.example?join"},
		{"#tea@echo.localhost", "join", "xmpp:%23tea@echo.localhost?join"},
		{`foo\5bbar@irc.example`, "", "xmpp:foo%5C5bbar@irc.example"},
		{"a b@x", "", "xmpp:a%20b@x"},
		{"é@x", "", "xmpp:%C3%A9@x"},
		{"ok!$()*+,;=-._~@x", "", "xmpp:ok!$()*+,;=-._~@x"},
		{"echo.localhost", "", "xmpp:echo.localhost"},
	} {
		if got := XMPPURI(c.bare, c.query); got != c.want {
			t.Errorf("XMPPURI(%q, %q) = %q, want %q", c.bare, c.query, got, c.want)
		}
	}
}
