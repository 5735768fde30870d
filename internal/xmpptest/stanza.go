package xmpptest

import (
	"encoding/xml"
	"strconv"
	"strings"
)

// Namespaces the client interprets.
const (
	nsClient  = "jabber:client"
	nsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
	nsXML     = "http://www.w3.org/XML/1998/namespace"
)

// Stanza is one top-level element received from the server, with the
// fields tests look at most already extracted.
type Stanza struct {
	// Name is the element's local name: "message", "presence" or "iq".
	Name string
	// Type, ID, From and To are the attributes of the same names ("" when
	// absent).
	Type, ID, From, To string
	// Body is the text of a message's <body/> in jabber:client (only that
	// one: a body in another namespace is an extension, not the message).
	Body string
	// XML is the whole stanza re-serialized: the root carries no xmlns when
	// it is jabber:client (as on the wire, where the stream declares it),
	// each child declares its namespace where it changes, attributes keep
	// their order. Prefixes of the original are not kept.
	XML string
	// Err is the <error/> of an error stanza, nil otherwise.
	Err *StanzaError
}

// StanzaError is a stanza's <error/> (RFC 6120, 8.3).
type StanzaError struct {
	// Type is the error type: "cancel", "modify", "auth", "wait", "continue".
	Type string
	// Condition is the defined condition's element name, e.g.
	// "service-unavailable".
	Condition string
	// Text is the optional human-readable <text/>.
	Text string
}

// Error implements error, so a test can return or wrap a StanzaError.
func (e *StanzaError) Error() string {
	s := "xmpp stanza error: " + e.Type + " " + e.Condition
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// Unmarshal decodes the stanza's XML into v with encoding/xml. The root has
// no namespace (see XML), so v's XMLName, if any, should name only the local
// part ("message"); children keep their namespaces.
func (s Stanza) Unmarshal(v any) error {
	return xml.Unmarshal([]byte(s.XML), v)
}

// node is a parsed element: what the reader builds from the token stream.
type node struct {
	name     xml.Name
	attrs    []xml.Attr
	children []any // *node or xml.CharData
}

func (n *node) attr(local string) string {
	for _, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func (n *node) child(space, local string) *node {
	for _, c := range n.children {
		if e, ok := c.(*node); ok && e.name.Space == space && e.name.Local == local {
			return e
		}
	}
	return nil
}

func (n *node) text() string {
	var b strings.Builder
	for _, c := range n.children {
		switch c := c.(type) {
		case xml.CharData:
			b.Write(c)
		case *node:
			b.WriteString(c.text())
		}
	}
	return b.String()
}

// stanza extracts the fields of a top-level element.
func (n *node) stanza() Stanza {
	st := Stanza{
		Name: n.name.Local,
		Type: n.attr("type"),
		ID:   n.attr("id"),
		From: n.attr("from"),
		To:   n.attr("to"),
	}
	if st.Name == "message" {
		if b := n.child(n.name.Space, "body"); b != nil {
			st.Body = b.text()
		}
	}
	if st.Type == "error" {
		if e := n.child(n.name.Space, "error"); e != nil {
			se := &StanzaError{Type: e.attr("type")}
			for _, c := range e.children {
				c, ok := c.(*node)
				if !ok || c.name.Space != nsStanzas {
					continue
				}
				if c.name.Local == "text" {
					se.Text = c.text()
				} else if se.Condition == "" {
					se.Condition = c.name.Local
				}
			}
			st.Err = se
		}
	}
	var b strings.Builder
	n.write(&b, nsClient)
	st.XML = b.String()
	return st
}

// write serializes n, declaring its namespace when it differs from the
// parent's. xmlns attributes of the source are dropped: the resolved names
// carry the namespaces, and keeping both would declare some twice.
func (n *node) write(b *strings.Builder, parentNS string) {
	b.WriteByte('<')
	b.WriteString(n.name.Local)
	if n.name.Space != parentNS {
		b.WriteString(` xmlns="`)
		escape(b, n.name.Space)
		b.WriteByte('"')
	}
	prefixes := 0
	for _, a := range n.attrs {
		switch {
		case a.Name.Space == "xmlns", a.Name.Space == "" && a.Name.Local == "xmlns":
			continue
		case a.Name.Space == "":
			b.WriteString(" " + a.Name.Local)
		case a.Name.Space == nsXML:
			b.WriteString(" xml:" + a.Name.Local)
		default:
			prefixes++
			p := "ns" + strconv.Itoa(prefixes)
			b.WriteString(" xmlns:" + p + `="`)
			escape(b, a.Name.Space)
			b.WriteString(`" ` + p + ":" + a.Name.Local)
		}
		b.WriteString(`="`)
		escape(b, a.Value)
		b.WriteByte('"')
	}
	if len(n.children) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	for _, c := range n.children {
		switch c := c.(type) {
		case xml.CharData:
			escape(b, string(c))
		case *node:
			c.write(b, n.name.Space)
		}
	}
	b.WriteString("</" + n.name.Local + ">")
}

func escape(b *strings.Builder, s string) {
	// EscapeText escapes quotes and whitespace control characters too, so
	// its output is valid in attribute values as well as text.
	_ = xml.EscapeText(b, []byte(s))
}
