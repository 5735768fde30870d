package wire

import (
	"fmt"
	"strings"
)

// XMPPURI is the xmpp: URI (RFC 5122) of the bare JID bare, with query
// ("join", "" for none). Its localpart is percent-encoded: an IRC
// channel's '#' or an escaped nick's '\' (XEP-0106) may not stand in a
// URI as they are, and a client that parses the URI strictly found no
// JID in it. Every character a localpart may hold that RFC 5122's
// nodeallow and URI's unreserved sets leave out is encoded as UTF-8
// bytes.
func XMPPURI(bare, query string) string {
	local, domain, ok := strings.Cut(bare, "@")
	if !ok {
		local, domain = "", bare
	}
	var b strings.Builder
	b.WriteString("xmpp:")
	if ok {
		for i := 0; i < len(local); i++ {
			if c := local[i]; nodeChar(c) {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		}
		b.WriteByte('@')
	}
	b.WriteString(domain)
	if query != "" {
		b.WriteString("?" + query)
	}
	return b.String()
}

// nodeChar reports whether c stands as itself in an xmpp: URI's node:
// RFC 3986's unreserved or RFC 5122's nodeallow.
func nodeChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$()*+,;=", c) >= 0
}
