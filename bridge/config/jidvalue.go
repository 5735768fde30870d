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
	// The parser's words for the other slips ("idna: disallowed rune
	// U+0020", "precis: disallowed rune encountered", "the domainpart
	// must be between 1 and 1023 bytes") name no character, nor where.
	bare, _, _ := strings.Cut(s, "/")
	switch {
	case strings.TrimSpace(s) != s:
		return j, errors.New("it has a space at the start or the end: take it out")
	case strings.ContainsAny(s, " \t"):
		return j, errors.New("it has a space: a JID has none")
	case strings.Count(bare, "@") > 1:
		return j, errors.New("it has '@' more than once: write user@domain")
	case strings.HasSuffix(bare, "@"):
		return j, errors.New("nothing after '@': write user@domain")
	case strings.HasSuffix(s, "/"):
		return j, errors.New("it ends with '/': take it out")
	}
	return j, err
}
