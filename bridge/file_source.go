package bridge

import (
	"strings"

	"passerelle.im/passerelle/bridge/wire"
)

// A client may send a file as XEP-0385 SIMS or XEP-0447 stateless file
// sharing with no XEP-0066 <x xmlns='jabber:x:oob'/> beside it. Its
// web address is then read from the element's sources, so that the
// file goes to the network as an OOB one does; before, such a message
// carried nothing the gateway sent, and in a room a subject beside it
// read as a topic change, the file dropped.
const (
	nsSIMS    = "urn:xmpp:sims:1"
	nsSFS     = "urn:xmpp:sfs:0"
	nsURLData = "http://jabber.org/protocol/url-data"
)

// sharedFileURL returns the first https source of c, else its first http
// one, when c is a SIMS reference (<reference type='data'><media-sharing>
// <sources>) or a stateless file sharing (<file-sharing><sources>
// <url-data target/>); "" otherwise. The sources are the same file's: a
// plain http one first is fetched only from loopback (media.Open), and
// an https one after it would have gone.
func sharedFileURL(c *wire.Element) string {
	var sources *wire.Element
	switch {
	case c.XMLName.Space == nsReference && c.XMLName.Local == "reference":
		if ms := c.Child(nsSIMS, "media-sharing"); ms != nil {
			sources = ms.Child(nsSIMS, "sources")
		}
	case c.XMLName.Space == nsSFS && c.XMLName.Local == "file-sharing":
		sources = c.Child(nsSFS, "sources")
	}
	if sources == nil {
		return ""
	}
	var plain string
	for i := range sources.Children {
		s := &sources.Children[i]
		var u string
		switch {
		case s.XMLName.Space == nsReference && s.XMLName.Local == "reference":
			u = s.Attr("uri")
		case s.XMLName.Space == nsURLData && s.XMLName.Local == "url-data":
			u = s.Attr("target")
		}
		u = strings.TrimSpace(u)
		switch l := strings.ToLower(u); {
		case strings.HasPrefix(l, "https://"):
			return u
		case strings.HasPrefix(l, "http://") && plain == "":
			plain = u
		}
	}
	return plain
}
