package xmpptest

import (
	"encoding/xml"
	"strings"
	"testing"
)

// parseInStream parses raw as a stanza of a jabber:client stream, the way
// the reader sees it.
func parseInStream(t *testing.T, raw string) Stanza {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(`<stream xmlns="jabber:client" xmlns:s="http://etherx.jabber.org/streams">` + raw + `</stream>`))
	if _, err := d.Token(); err != nil {
		t.Fatal(err)
	}
	n, err := readElement(d)
	if err != nil || n == nil {
		t.Fatalf("readElement: %v, %v", n, err)
	}
	return n.stanza()
}

func TestStanzaFields(t *testing.T) {
	st := parseInStream(t, `<message from="a@x/r" to="b@x" type="chat" id="i1" xml:lang="fr">`+
		`<x xmlns="urn:example"><body>not this one</body></x>`+
		`<body>ça &lt;va&gt;</body>`+
		`<body xmlns="urn:other">nor this</body></message>`)
	if st.Name != "message" || st.From != "a@x/r" || st.To != "b@x" || st.Type != "chat" || st.ID != "i1" {
		t.Errorf("attributes: %+v", st)
	}
	if st.Body != "ça <va>" {
		t.Errorf("Body = %q, want the jabber:client body only", st.Body)
	}
	want := `<message from="a@x/r" to="b@x" type="chat" id="i1" xml:lang="fr">` +
		`<x xmlns="urn:example"><body>not this one</body></x>` +
		`<body>ça &lt;va&gt;</body>` +
		`<body xmlns="urn:other">nor this</body></message>`
	if st.XML != want {
		t.Errorf("XML\n got %s\nwant %s", st.XML, want)
	}
	// The XML parses back to the same fields.
	var v struct {
		Bodies []string `xml:"body"`
	}
	if err := st.Unmarshal(&v); err != nil || len(v.Bodies) != 2 || v.Bodies[0] != "ça <va>" {
		t.Errorf("Unmarshal: %+v, %v", v, err)
	}
}

func TestStanzaError(t *testing.T) {
	st := parseInStream(t, `<iq type="error" id="q"><error type="modify">`+
		`<bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>`+
		`<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">no good</text></error></iq>`)
	if st.Err == nil || st.Err.Type != "modify" || st.Err.Condition != "bad-request" || st.Err.Text != "no good" {
		t.Errorf("Err = %+v", st.Err)
	}
	if !strings.Contains(st.Err.Error(), "bad-request") {
		t.Errorf("Error() = %q", st.Err.Error())
	}
}

func TestInsertAttr(t *testing.T) {
	for raw, want := range map[string]string{
		`<iq type="get"/>`:    `<iq id="x&amp;1" type="get"/>`,
		"  <iq\ntype='set'/>": "  <iq id=\"x&amp;1\"\ntype='set'/>",
		`<iq>`:                `<iq id="x&amp;1">`,
		`<iq/>`:               `<iq id="x&amp;1"/>`,
	} {
		if got := insertAttr(raw, "id", "x&1"); got != want {
			t.Errorf("insertAttr(%q) = %q, want %q", raw, got, want)
		}
	}
}
