package bridge

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/store"
)

// TestFitArchivedWellFormed: a message cut for the archive is one
// well-formed stanza under the limit, whatever its body holds (text
// cut inside a run of multi-byte letters, markup characters) and its
// small parts keep their namespaces and xml:lang.
func TestFitArchivedWellFormed(t *testing.T) {
	for name, body := range map[string]string{
		"quotes":    strings.Repeat("'", store.MaxArchivePayload/4),
		"multibyte": strings.Repeat("é€😀", store.MaxArchivePayload/5),
		"markup":    strings.Repeat("<a href=\"x\">&amp;</a>]]>", store.MaxArchivePayload/10),
	} {
		t.Run(name, func(t *testing.T) {
			var w wire.Writer
			w.Start("message", "").Attr("from", "r@g/n").Attr("to", "u@x").Attr("type", "groupchat").Attr("id", "m1").Attr("xml:lang", "fr")
			w.Start("body", "").Text(body).End()
			w.Start("origin-id", wire.NSSID).Attr("id", "o1").End()
			w.Start("reply", nsReply).Attr("to", "r@g/o").Attr("id", "p1").End()
			w.Start("html", "http://jabber.org/protocol/xhtml-im").Start("body", "http://www.w3.org/1999/xhtml").Text(body).End().End()
			w.End()
			in := w.Bytes()
			if len(in) <= store.MaxArchivePayload {
				t.Fatalf("payload of %d bytes: not over the limit", len(in))
			}
			out := fitArchived(in)
			if len(out) > store.MaxArchivePayload {
				t.Fatalf("cut to %d bytes, over %d", len(out), store.MaxArchivePayload)
			}
			st, err := wire.Parse(string(out))
			if err != nil {
				t.Fatalf("cut form does not parse: %v\n%.300s", err, out)
			}
			b, ok := st.Body()
			if !ok || !strings.HasSuffix(b, archiveCutNote) || !strings.HasPrefix(body, b[:min(len(b), 16)]) {
				t.Errorf("body %.80q…", b)
			}
			if st.Child(wire.NSSID, "origin-id") == nil || st.Child(nsReply, "reply") == nil {
				t.Errorf("small parts lost: %.400s", out)
			}
			if st.Child("http://jabber.org/protocol/xhtml-im", "html") != nil {
				t.Errorf("the rich copy kept: %.400s", out)
			}
			if st.ID() != "m1" || !strings.Contains(string(out[:200]), "xml:lang") {
				t.Errorf("message's attributes lost: %.200s", out)
			}
		})
	}
}
