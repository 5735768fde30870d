package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"mellium.im/xmpp/jid"
)

// parseJID parses a JID the configuration names. For the shapes a
// newcomer writes instead of a JID (a URL, a host:port, "@domain" for a
// whole domain) the error says what to write, where the parser's own
// would say "idna: disallowed rune U+003A".
func parseJID(s string) (jid.JID, error) {
	j, err := jid.Parse(s)
	if err == nil {
		return j, nil
	}
	if u, uerr := url.Parse(s); uerr == nil && u.Scheme != "" && u.Host != "" {
		return j, fmt.Errorf("it is a URL: write its host alone (%q)", u.Hostname())
	}
	if host, port, serr := net.SplitHostPort(s); serr == nil && host != "" {
		if _, perr := strconv.Atoi(port); perr == nil {
			return j, fmt.Errorf("it has a port: write %q (a JID has no port)", host)
		}
	}
	if d, ok := strings.CutPrefix(s, "@"); ok && d != "" && !strings.ContainsAny(d, "@/") {
		return j, errors.New("a whole domain is written without '@' (\"" + d + "\")")
	}
	return j, err
}
