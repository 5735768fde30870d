package wire

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzXMPPURI: whatever a JID's localpart holds (a network's ID escaped
// by XEP-0106, an IRC channel, odd Unicode, bytes that are no UTF-8),
// its xmpp: URI parses as a URI, holds only what a URI may, and gives
// the localpart back whole when decoded.
func FuzzXMPPURI(f *testing.F) {
	for _, s := range []string{"#tea", `foo\5cbar`, "a b", "é", "😀", "%41", "?join", "a#b?c", "a/b", "a\x00b", "\xff\xfe", `\20\22\26\27\2f\3a\3c\3e\40\5c`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, local string) {
		if strings.Contains(local, "@") {
			return // no localpart holds one (RFC 7622; XEP-0106 writes \40)
		}
		u := XMPPURI(local+"@echo.localhost", "join")
		for i := 0; i < len(u); i++ {
			if c := u[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"<>\^`+"`{|}", c) >= 0 {
				t.Fatalf("XMPPURI(%q) = %q: byte %q no URI may hold", local, u, c)
			}
		}
		p, err := url.Parse(u)
		if err != nil || p.Scheme != "xmpp" {
			t.Fatalf("XMPPURI(%q) = %q: %v", local, u, err)
		}
		node, rest, ok := strings.Cut(p.Opaque, "@")
		if !ok || rest != "echo.localhost" || p.RawQuery != "join" {
			t.Fatalf("XMPPURI(%q) = %q: opaque %q", local, u, p.Opaque)
		}
		back, err := url.PathUnescape(node)
		if err != nil || back != local {
			t.Fatalf("XMPPURI(%q) = %q: its node reads back as %q (%v)", local, u, back, err)
		}
	})
}
