package wire

import (
	"encoding/xml"
	"reflect"
	"strings"
	"testing"
)

func TestParseKeepsExtensionsAndRealBody(t *testing.T) {
	st, err := Parse(`<message xmlns='jabber:component:accept' from='a@b/c' to='x@echo.b' id='m1' type='chat'>` +
		`<x xmlns='urn:example'><body>not me</body></x><body>the body</body>` +
		`<origin-id xmlns='urn:xmpp:sid:0' id='o1'/></message>`)
	if err != nil {
		t.Fatal(err)
	}
	if st.Kind() != "message" || st.From() != "a@b/c" || st.To() != "x@echo.b" || st.ID() != "m1" || st.Type() != "chat" {
		t.Fatalf("attributes: %+v", st)
	}
	body, ok := st.Body()
	if !ok || body != "the body" {
		t.Fatalf("body = %q, %v: a nested body must not be the message body", body, ok)
	}
	if oid := st.Child(NSSID, "origin-id"); oid == nil || oid.Attr("id") != "o1" {
		t.Fatal("origin-id lost")
	}
	if st.Child("urn:example", "x") == nil {
		t.Fatal("unknown extension dropped")
	}
}

func TestNoBodyInForeignNamespace(t *testing.T) {
	st, err := Parse(`<message from='a@b' to='c@d'><body xmlns='urn:example'>x</body></message>`)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Body(); ok {
		t.Fatal("a body in another namespace is not the message body")
	}
}

func TestWriterEscapes(t *testing.T) {
	var w Writer
	w.Start("message", "").Attr("to", `a"b'<&>`).Attr("empty", "")
	w.Leaf("body", "", "1 < 2 & 3 > 2\r\n")
	w.Start("origin-id", NSSID).Attr("id", "x").End()
	got := w.String()
	want := `<message to="a&quot;b&apos;&lt;&amp;&gt;"><body>1 &lt; 2 &amp; 3 &gt; 2&#xD;` + "\n" + `</body><origin-id xmlns="urn:xmpp:sid:0" id="x"/></message>`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// What we write, we can read back.
	st, err := Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := st.Body(); b != "1 < 2 & 3 > 2\r\n" {
		t.Fatalf("round trip body %q", b)
	}
}

func TestErrorReply(t *testing.T) {
	st, _ := Parse(`<message from='u@h/r' to='p@gw' id='m7' type='chat'><body>hi</body><origin-id xmlns='urn:xmpp:sid:0' id='o7'/></message>`)
	got := string(ErrorReply(st, RegistrationRequired, "register first"))
	for _, want := range []string{`from="p@gw"`, `to="u@h/r"`, `id="m7"`, `type="error"`, `<error type="auth">`,
		`<registration-required xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>`, `>register first</text>`, `<origin-id xmlns="urn:xmpp:sid:0" id="o7"/>`} {
		if !strings.Contains(got, want) {
			t.Errorf("error reply lacks %s: %s", want, got)
		}
	}
	if strings.Contains(got, "<body>") {
		t.Error("the error reply must not echo the body back")
	}
	back, _ := Parse(got)
	if cond, text := back.ErrorCondition(); cond != "registration-required" || text != "register first" {
		t.Errorf("ErrorCondition = %q %q", cond, text)
	}
}

func TestParseMalformed(t *testing.T) {
	for _, s := range []string{`<message><body>x</message>`, `<message`, ``} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted malformed XML", s)
		}
	}
}

// TestDecodeMatchesUnmarshal holds the hand-written tree builder to what
// encoding/xml's reflection-based DecodeElement makes of the same input.
func TestDecodeMatchesUnmarshal(t *testing.T) {
	for _, s := range []string{
		`<message xmlns='jabber:component:accept' from='a@b/c' to='x@echo.b' id='m1' type='chat'><body>hi &amp; bye</body>` +
			`<origin-id xmlns='urn:xmpp:sid:0' id='o1'/><x xmlns='urn:example' xmlns:p='urn:p'><p:y a='1' p:b='2'>in<![CDATA[ <raw> ]]>side</p:y>tail</x></message>`,
		`<iq type='get' id='q'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`,
		`<presence from='u@h/r'><show>away</show><status>  spaced  </status><!-- a comment --><?pi x?></presence>`,
		`<message><body/>text<b>nested<c>deeper</c>more</b>end</message>`,
		`<message><body>1 &lt; 2 &#x263A; &#13;</body></message>`,
		`<message><body>x</message>`, // malformed: both must fail
		`<message><body>x</body>`,    // cut short
	} {
		want, werr := unmarshalStanza(s)
		got, gerr := Parse(s)
		if (werr != nil) != (gerr != nil) {
			t.Errorf("%s: encoding/xml error %v, Decode error %v", s, werr, gerr)
			continue
		}
		if werr == nil && !reflect.DeepEqual(want, &got.Element) {
			t.Errorf("%s:\n got  %+v\n want %+v", s, got.Element, *want)
		}
	}
}

func unmarshalStanza(s string) (*Element, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		if start, ok := tok.(xml.StartElement); ok {
			var e Element
			return &e, d.DecodeElement(&e, &start)
		}
	}
}

func BenchmarkDecodeMessage(b *testing.B) {
	msg := `<message xmlns='jabber:component:accept' from='alice@localhost/phone' to='bob@echo.localhost' id='abcdef123456' type='chat'>` +
		`<body>` + strings.Repeat("hello world ", 30) + `</body><origin-id xmlns='urn:xmpp:sid:0' id='abcdef123456'/>` +
		`<active xmlns='http://jabber.org/protocol/chatstates'/><request xmlns='urn:xmpp:receipts'/></message>`
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := Parse(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeMessage(b *testing.B) {
	body := strings.Repeat("hello world ", 30)
	for b.Loop() {
		var w Writer
		w.Start("message", "").Attr("from", "bob@echo.localhost").Attr("to", "alice@localhost").Attr("type", "chat").Attr("id", "abcdef123456")
		w.Leaf("body", "", body)
		w.Start("origin-id", NSSID).Attr("id", "abcdef123456").End()
		_ = w.Bytes()
	}
}

// TestWriterReplacesWhatXMLCannotCarry: a network's text with control
// characters (IRC's bold is \x02), invalid UTF-8 or U+FFFE/U+FFFF, in
// text and in attributes, is written as U+FFFD, one for one, and what is
// written parses. Before, the raw bytes went out and the server closed
// the component's stream as not well-formed.
func TestWriterReplacesWhatXMLCannotCarry(t *testing.T) {
	in := "a\x02b\x03" + "04c\x00d\x1be\t\n\xffé\uFFFE\uFFFF\uFFFD€z"
	want := "a\uFFFDb\uFFFD04c\uFFFDd\uFFFDe\t\n\uFFFDé\uFFFD\uFFFD\uFFFD€z"
	var w Writer
	w.Start("message", "").Attr("to", in)
	w.Leaf("body", "", in)
	out := w.String()
	var m struct {
		To   string `xml:"to,attr"`
		Body string `xml:"body"`
	}
	if err := xml.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("what the writer wrote is not XML: %v\n%q", err, out)
	}
	if m.Body != want {
		t.Fatalf("body %q, want %q", m.Body, want)
	}
	if m.To != want {
		t.Fatalf("attribute %q, want %q", m.To, want)
	}
	if _, err := Parse(out); err != nil {
		t.Fatalf("our own parser refuses it: %v", err)
	}
}

// TestElementWrittenWhole: Writer.Element writes a received element (a
// bookmark's children on a rename, an origin-id) with what encoding/xml
// resolved: xml:lang and attributes in other namespaces, with a prefix
// declared for them, and a child in no namespace under one that has
// one. Before, those attributes were dropped and the child took its
// parent's namespace.
func TestElementWrittenWhole(t *testing.T) {
	for _, s := range []string{
		`<x xmlns='urn:example' xmlns:p='urn:p' xmlns:q='urn:q'><p:y a='1' p:b='2' q:c='3' p:d='' e=''>in</p:y>tail</x>`,
		`<message><body xml:lang='en'>hi</body></message>`,
		`<a xmlns='x'><b xmlns=''><c/></b><d/></a>`,
		`<xml:a/>`,
	} {
		st, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		var w Writer
		out := w.Element(&st.Element).String()
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("%s written as %s: %v", s, out, err)
		}
		if want, got := canonical(&st.Element), canonical(&back.Element); !reflect.DeepEqual(want, got) {
			t.Errorf("%s written as %s:\n got  %+v\n want %+v", s, out, got, want)
		}
	}
}

// TestWhitespaceSurvivesReader: tabs, newlines and carriage returns in an
// attribute value or in text read back as written by a reader that does
// what XML 1.0 asks (as the server's expat does): a literal one in an
// attribute value would come back as a space, a literal carriage return
// anywhere as a newline.
func TestWhitespaceSurvivesReader(t *testing.T) {
	const v = "a\nb\tc\rd\r\ne \t\n"
	var w Writer
	w.Start("message", "jabber:component:accept").Attr("id", v)
	w.Leaf("body", "", v)
	w.Start("x", "urn:example").Attr("v", v).End()
	out := w.String()
	if want := `id="a&#xA;b&#x9;c&#xD;d&#xD;&#xA;e &#x9;&#xA;"`; !strings.Contains(out, want) {
		t.Errorf("attribute written as\n%s\nwant %s", out, want)
	}
	st, err := parseAsServer(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.ID() != v {
		t.Errorf("attribute read back as %q, want %q", st.ID(), v)
	}
	if b, _ := st.Body(); b != v {
		t.Errorf("text read back as %q, want %q", b, v)
	}
	if x := st.Child("urn:example", "x"); x == nil || x.Attr("v") != v {
		t.Errorf("attribute of a child read back as %+v", x)
	}

	// A received element written back out (an origin-id echoed in an
	// error, a bookmark's extensions) keeps them too.
	in, err := Parse(`<m xmlns='urn:example' a='1&#10;2&#9;3&#13;4'><c b='&#10;'>t&#13;</c></m>`)
	if err != nil {
		t.Fatal(err)
	}
	var w2 Writer
	out = w2.Element(&in.Element).String()
	back, err := parseAsServer(out)
	if err != nil {
		t.Fatal(err)
	}
	if want, got := canonical(&in.Element), canonical(&back.Element); !reflect.DeepEqual(want, got) {
		t.Errorf("written back as %q\n got  %+v\n want %+v", out, got, want)
	}
}

// parseAsServer parses what a Writer wrote as a conforming XML reader
// sees it: encoding/xml keeps a literal tab or newline in an attribute
// value, where XML 1.0 (section 3.3.3) and so the server's expat make it a
// space. Line ends are normalised first (section 2.11), as both do. It
// relies on a Writer's output having '<' and '>' only around tags.
func parseAsServer(s string) (*Stanza, error) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	b := []byte(s)
	inTag := false
	for i, c := range b {
		switch {
		case c == '<':
			inTag = true
		case c == '>':
			inTag = false
		case inTag && (c == '\n' || c == '\t'):
			b[i] = ' '
		}
	}
	return Parse(string(b))
}

// EscapeAttr writes a value as Writer.Attr does, whitespace included.
func TestEscapeAttrAsWriter(t *testing.T) {
	v := "a\tb\nc\rd<&>\"'é"
	var w Writer
	w.Start("x", "").Attr("v", v).End()
	if want := `<x v="` + EscapeAttr(v) + `"/>`; w.String() != want {
		t.Errorf("Writer wrote %s, EscapeAttr gives %s", w.String(), want)
	}
}
