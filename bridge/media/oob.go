package media

import (
	"strings"

	"passerelle.im/passerelle/bridge/wire"
)

// NSOOB is XEP-0066 Out of Band Data, as a message extension.
const NSOOB = "jabber:x:oob"

// OOB writes the XEP-0066 element that marks a message as carrying the
// file at url: <x xmlns='jabber:x:oob'><url>url</url><desc>desc</desc></x>
// (desc left out when empty). Clients show the file inline when the
// message's body is the same URL, so send the URL as the body too.
func OOB(w *wire.Writer, url, desc string) {
	w.Start("x", NSOOB)
	w.Leaf("url", "", url)
	if desc != "" {
		w.Leaf("desc", "", desc)
	}
	w.End()
}

// OOBURL returns the URL and description of the first XEP-0066 element of
// a received message; ok is false when it has none with a URL.
func OOBURL(st *wire.Stanza) (url, desc string, ok bool) {
	for i := range st.Children {
		x := &st.Children[i]
		if x.XMLName.Space != NSOOB || x.XMLName.Local != "x" {
			continue
		}
		u := x.Child(NSOOB, "url")
		if u == nil {
			continue
		}
		url = strings.TrimSpace(u.Text)
		if url == "" {
			continue
		}
		if d := x.Child(NSOOB, "desc"); d != nil {
			desc = strings.TrimSpace(d.Text)
		}
		return url, desc, true
	}
	return "", "", false
}
