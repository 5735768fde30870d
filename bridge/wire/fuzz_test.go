package wire

import (
	"encoding/xml"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// wireSeeds are stanzas of the shapes the server sends, and a few
// malformed ones.
var wireSeeds = []string{
	`<message xmlns='jabber:component:accept' from='a@b/c' to='x@echo.b' id='m1' type='chat'><body>hi &amp; bye</body>` +
		`<origin-id xmlns='urn:xmpp:sid:0' id='o1'/><x xmlns='urn:example' xmlns:p='urn:p'><p:y a='1' p:b='2'>in<![CDATA[ <raw> ]]>side</p:y>tail</x></message>`,
	`<iq type='get' id='q'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`,
	`<presence from='u@h/r'><show>away</show><status>  spaced  </status><!-- a comment --><?pi x?></presence>`,
	`<message><body/>text<b>nested<c>deeper</c>more</b>end</message>`,
	`<message><body xml:lang='en'>1 &lt; 2 &#x263A; &#13;</body></message>`,
	`<a xmlns='x'><b xmlns=''/><c/></a>`,
	`<message to='a&#10;b&#9;c' id="&quot;'"><body>]]&gt;</body></message>`,
	`<message><body>x</message>`,
	`<message><body>x</body>`,
	`<x xmlns:p=''><p:y p:0=''></p:y></x>`, // no namespace-aware parser takes it
	``,
}

// FuzzParse: whatever the server sends, Parse does not panic, agrees with
// encoding/xml's DecodeElement, and what it parsed, written back with
// Writer.Element (as an origin-id in an error reply, a bookmark's
// extensions), parses back to the same element, as the server reads it.
func FuzzParse(f *testing.F) {
	for _, s := range wireSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, gerr := Parse(s)
		want, werr := unmarshalStanza(s)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("encoding/xml error %v, Decode error %v", werr, gerr)
		}
		if gerr != nil {
			return
		}
		if !reflect.DeepEqual(want, &got.Element) {
			t.Fatalf("Decode\n got  %+v\n want %+v", got.Element, *want)
		}
		if !namespaceWellFormed(&got.Element) {
			// encoding/xml takes what a namespace-aware parser, the
			// server's, refuses: it never reaches the gateway.
			return
		}
		var w Writer
		out := w.Element(&got.Element).String()
		back, err := parseAsServer(out)
		if err != nil {
			t.Fatalf("Writer.Element wrote what does not parse: %v\n%q", err, out)
		}
		if want, got := canonical(&got.Element), canonical(&back.Element); !reflect.DeepEqual(want, got) {
			t.Fatalf("written back as %q\n got  %+v\n want %+v", out, got, want)
		}
	})
}

// namespaceWellFormed reports whether the names in e are NCNames and no
// prefix was unbound (xmlns:p=""), as Namespaces in XML 1.0 requires and
// expat (Prosody's parser) checks: encoding/xml reads <p:y p:0="1"> with
// xmlns:p="" as y with an attribute named 0, which no XML can say.
func namespaceWellFormed(e *Element) bool {
	if !ncName(e.XMLName.Local) {
		return false
	}
	for _, a := range e.Attrs {
		if a.Name.Space == "xmlns" && a.Value == "" {
			return false
		}
		if !ncName(a.Name.Local) {
			return false
		}
	}
	for i := range e.Children {
		if !namespaceWellFormed(&e.Children[i]) {
			return false
		}
	}
	return true
}

// ncName reports whether s is a name without a colon, as encoding/xml
// reads names.
func ncName(s string) bool {
	if s == "" || strings.Contains(s, ":") {
		return false
	}
	var v struct {
		XMLName xml.Name
	}
	return xml.Unmarshal([]byte("<"+s+"/>"), &v) == nil && v.XMLName.Local == s
}

// canonical is e without its namespace declarations: the Writer makes
// its own.
func canonical(e *Element) Element {
	c := Element{XMLName: e.XMLName, Text: e.Text}
	for _, a := range e.Attrs {
		if a.Name.Space != "xmlns" && (a.Name.Space != "" || a.Name.Local != "xmlns") {
			c.Attrs = append(c.Attrs, a)
		}
	}
	for i := range e.Children {
		c.Children = append(c.Children, canonical(&e.Children[i]))
	}
	return c
}

// FuzzWriter: a network's strings, whatever they hold, written as an
// attribute, a leaf's text or text after a child, make well-formed XML
// that reads back, as the server reads it (parseAsServer), as the string
// with each character XML cannot carry replaced by U+FFFD; and XMLSafe's
// form is written unchanged.
func FuzzWriter(f *testing.F) {
	f.Add("hello", "world")
	f.Add(`a"b'<&>`, "1 < 2 & 3 > 2\r\n")
	f.Add("a\x02b\x03"+"04c\x00d\x1be\t\n\xffé\uFFFE\uFFFF\uFFFD€z", "]]>")
	f.Add("\xed\xa0\x80\xf4\x90\x80\x80", "\r\n\r")
	f.Add(" \t\n ", "<![CDATA[x]]>")
	f.Add("a\tb\nc\r\nd", "a\tb\nc\r\nd")
	f.Fuzz(func(t *testing.T, attr, text string) {
		var w Writer
		w.Start("message", "jabber:component:accept").Attr("to", attr).Attr("id", XMLSafe(attr))
		w.Leaf("body", "", text)
		w.Start("x", "urn:example").Leaf("y", "", XMLSafe(text)).Text(text).End()
		out := w.String()
		st, err := parseAsServer(out)
		if err != nil {
			t.Fatalf("not XML: %v\n%q", err, out)
		}
		if got := st.To(); got != replaced(attr) {
			t.Errorf("attribute %q, want %q", got, replaced(attr))
		}
		if got := st.ID(); got != XMLSafe(attr) {
			t.Errorf("XMLSafe attribute %q, want %q", got, XMLSafe(attr))
		}
		body, ok := st.Body()
		if !ok || body != replaced(text) {
			t.Errorf("body %q, want %q", body, replaced(text))
		}
		x := st.Child("urn:example", "x")
		if x == nil || len(x.Children) != 1 {
			t.Fatalf("x lost: %q", out)
		}
		if x.Text != replaced(text) {
			t.Errorf("text after a child %q, want %q", x.Text, replaced(text))
		}
		if got := x.Children[0].Text; got != XMLSafe(text) {
			t.Errorf("XMLSafe text %q, want %q", got, XMLSafe(text))
		}
	})
}

// replaced is s with each rune XML cannot carry (each byte of invalid
// UTF-8) as U+FFFD: what the Writer's escaping promises.
func replaced(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 3) || XMLChar(r) {
			b.WriteString(s[i : i+n])
		} else {
			b.WriteRune(utf8.RuneError)
		}
		i += n
	}
	return b.String()
}
