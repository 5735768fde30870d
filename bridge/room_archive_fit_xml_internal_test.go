package bridge

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

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

// TestFitArchivedRanges: the ranges of the body a message's parts name
// stay within what the archive keeps of a body it cut (fitArchived), in
// characters, not bytes: a mention, a reply's quote (XEP-0461 by
// XEP-0428), markup spans and list items (XEP-0394) within the kept text
// stay as they were, one across the cut ends there, one past it goes,
// and a part left with no range goes; parts with no range (a file's
// reference, a retraction's fallback) stay. Before, the archived copy
// kept ranges past the cut, over the cut mark and the note.
func TestFitArchivedRanges(t *testing.T) {
	quote := "> Bob: hé\n"                                          // 10 characters, 11 bytes
	body := quote + strings.Repeat("é'", store.MaxArchivePayload/4) // escaped, 7 bytes a pair
	total := utf8.RuneCountInString(body)
	far, farEnd := strconv.Itoa(total-10), strconv.Itoa(total-2)
	var w wire.Writer
	w.Start("message", "").Attr("from", "r@g/n").Attr("to", "u@x").Attr("type", "groupchat").Attr("id", "m1")
	w.Start("body", "").Text(body).End()
	w.Start("reply", nsReply).Attr("to", "r@g/bob").Attr("id", "p1").End()
	w.Start("fallback", nsFallback).Attr("for", nsReply).Start("body", "").Attr("start", "0").Attr("end", "10").End().End()
	w.Start("fallback", nsFallback).Attr("for", "urn:example:far").Start("body", "").Attr("start", far).Attr("end", farEnd).End().End()
	w.Start("fallback", nsFallback).Attr("for", nsRetract).End()
	w.Start("reference", nsReference).Attr("type", "mention").Attr("begin", "2").Attr("end", "5").Attr("uri", "xmpp:bob@g").End()
	w.Start("reference", nsReference).Attr("type", "mention").Attr("begin", far).Attr("end", farEnd).Attr("uri", "xmpp:carol@g").End()
	w.Start("reference", nsReference).Attr("type", "mention").Attr("begin", "12").Attr("end", strconv.Itoa(total)).Attr("uri", "xmpp:dan@g").End()
	w.Start("reference", nsReference).Attr("type", "data").Attr("uri", "https://files.example/a.png").End()
	w.Start("markup", nsMarkup).
		Start("span", "").Attr("start", "10").Attr("end", "20").Start("emphasis", "").End().End().
		Start("span", "").Attr("start", far).Attr("end", farEnd).Start("code", "").End().End().
		Start("bquote", "").Attr("start", "0").Attr("end", strconv.Itoa(total)).End().
		Start("list", "").Attr("start", "20").Attr("end", strconv.Itoa(total)).
		Start("li", "").Attr("start", "20").End().Start("li", "").Attr("start", far).End().End().
		End()
	w.Start("markup", nsMarkup).Start("bcode", "").Attr("start", far).Attr("end", farEnd).End().End()
	w.End()
	out := fitArchived(w.Bytes())
	if len(out) > store.MaxArchivePayload {
		t.Fatalf("cut to %d bytes, over %d", len(out), store.MaxArchivePayload)
	}
	st, err := wire.Parse(string(out))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := st.Body()
	cut := strings.LastIndex(b, "… [")
	if cut < 0 || !strings.HasPrefix(body, b[:cut]) {
		t.Fatalf("body not cut: %.100q…", b)
	}
	n := strconv.Itoa(utf8.RuneCountInString(b[:cut]))

	var got []string
	for _, c := range st.Children {
		got = append(got, partSummary(&c))
	}
	want := []string{
		`reply(to=r@g/bob id=p1)`,
		`fallback(for=urn:xmpp:reply:0){body(start=0 end=10)}`,
		`fallback(for=urn:xmpp:message-retract:1)`,
		`reference(type=mention begin=2 end=5 uri=xmpp:bob@g)`,
		`reference(type=mention begin=12 end=` + n + ` uri=xmpp:dan@g)`,
		`reference(type=data uri=https://files.example/a.png)`,
		`markup(){span(start=10 end=20){emphasis()} bquote(start=0 end=` + n + `) list(start=20 end=` + n + `){li(start=20)}}`,
	}
	if len(got) < 1 || !strings.HasPrefix(got[0], "body(") {
		t.Fatalf("parts %q", got)
	}
	got = got[1:]
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("parts kept:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// partSummary names e, its attributes and its children, in order.
func partSummary(e *wire.Element) string {
	var attrs []string
	for _, a := range e.Attrs {
		if a.Name.Local != "xmlns" {
			attrs = append(attrs, a.Name.Local+"="+a.Value)
		}
	}
	s := e.XMLName.Local + "(" + strings.Join(attrs, " ") + ")"
	if len(e.Children) > 0 {
		var kids []string
		for i := range e.Children {
			kids = append(kids, partSummary(&e.Children[i]))
		}
		s += "{" + strings.Join(kids, " ") + "}"
	}
	return s
}
