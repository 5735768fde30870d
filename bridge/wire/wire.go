// Package wire holds XMPP stanzas as the gateway reads and writes them: a
// generic element tree for what arrives (so no extension is dropped) and
// small builders for what leaves, encoded once into bytes for the link's
// single writer.
package wire

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Namespaces the gateway speaks.
const (
	NSStanzas    = "urn:ietf:params:xml:ns:xmpp-stanzas"
	NSDiscoInfo  = "http://jabber.org/protocol/disco#info"
	NSDiscoItems = "http://jabber.org/protocol/disco#items"
	NSRegister   = "jabber:iq:register"
	NSVersion    = "jabber:iq:version"
	NSPing       = "urn:xmpp:ping"
	NSData       = "jabber:x:data"
	NSSID        = "urn:xmpp:sid:0"
	NSDelay      = "urn:xmpp:delay"
	NSChatStates = "http://jabber.org/protocol/chatstates"
	NSReceipts   = "urn:xmpp:receipts"
	NSGateway    = "jabber:iq:gateway"
)

// Element is a generic XML element: every attribute, child and text is
// kept, whatever its namespace.
type Element struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []Element  `xml:",any"`
}

// Attr returns the value of the attribute with this local name.
func (e *Element) Attr(local string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// Child returns the first child with this namespace (any when "") and
// local name, or nil.
func (e *Element) Child(space, local string) *Element {
	for i := range e.Children {
		c := &e.Children[i]
		if c.XMLName.Local == local && (space == "" || c.XMLName.Space == space) {
			return c
		}
	}
	return nil
}

// Stanza is a message, presence or iq as received.
type Stanza struct {
	Element
}

// Kind is "message", "presence" or "iq".
func (s *Stanza) Kind() string { return s.XMLName.Local }

// From is the sender's JID as written.
func (s *Stanza) From() string { return s.Attr("from") }

// To is the recipient's JID as written.
func (s *Stanza) To() string { return s.Attr("to") }

// ID is the stanza's id attribute.
func (s *Stanza) ID() string { return s.Attr("id") }

// Type is the stanza's type attribute.
func (s *Stanza) Type() string { return s.Attr("type") }

// Payload is an IQ's single child element, or nil.
func (s *Stanza) Payload() *Element {
	for i := range s.Children {
		if s.Children[i].XMLName.Local != "error" {
			return &s.Children[i]
		}
	}
	return nil
}

// Body is a message's body in the client namespace (a <body/> nested in
// an extension is not the message's body).
func (s *Stanza) Body() (string, bool) { return s.clientChild("body") }

// Subject is a message's subject in the client namespace (RFC 6121
// §5.2.4), as Body is its body.
func (s *Stanza) Subject() (string, bool) { return s.clientChild("subject") }

// clientChild is the text of the child of this local name in the
// client namespace in the stanza's own language: of several, each in a
// language of its own (RFC 6121 §5.2.3), the one without xml:lang or
// with the stanza's, else the first. The first alone took a client's
// translation for the message.
func (s *Stanza) clientChild(local string) (string, bool) {
	lang := s.Lang()
	var first *Element
	for i := range s.Children {
		c := &s.Children[i]
		if c.XMLName.Local != local || c.XMLName.Space != "" && c.XMLName.Space != "jabber:component:accept" && c.XMLName.Space != "jabber:client" {
			continue
		}
		if l := c.Lang(); l == "" || strings.EqualFold(l, lang) {
			return c.Text, true
		}
		if first == nil {
			first = c
		}
	}
	if first != nil {
		return first.Text, true
	}
	return "", false
}

// NSXML is the namespace of the xml: attributes (xml:lang).
const NSXML = "http://www.w3.org/XML/1998/namespace"

// Lang is the element's own xml:lang, "" if it has none.
func (e *Element) Lang() string {
	for _, a := range e.Attrs {
		if a.Name.Local == "lang" && (a.Name.Space == NSXML || a.Name.Space == "xml") {
			return a.Value
		}
	}
	return ""
}

// ErrorCondition returns the defined condition and text of an error
// stanza, or "" when it has none.
func (s *Stanza) ErrorCondition() (cond, text string) {
	e := s.Child("", "error")
	if e == nil {
		return "", ""
	}
	for _, c := range e.Children {
		if c.XMLName.Space != NSStanzas {
			continue
		}
		if c.XMLName.Local == "text" {
			text = c.Text
		} else {
			cond = c.XMLName.Local
		}
	}
	return cond, text
}

// Condition is an RFC 6120 stanza error condition.
type Condition string

// The conditions the gateway sends.
const (
	BadRequest           Condition = "bad-request"
	Conflict             Condition = "conflict"
	FeatureNotImpl       Condition = "feature-not-implemented"
	Forbidden            Condition = "forbidden"
	Gone                 Condition = "gone"
	InternalServerError  Condition = "internal-server-error"
	ItemNotFound         Condition = "item-not-found"
	JIDMalformed         Condition = "jid-malformed"
	NotAcceptable        Condition = "not-acceptable"
	NotAllowed           Condition = "not-allowed"
	NotAuthorized        Condition = "not-authorized"
	PolicyViolation      Condition = "policy-violation"
	RegistrationRequired Condition = "registration-required"
	RemoteServerTimeout  Condition = "remote-server-timeout"
	ResourceConstraint   Condition = "resource-constraint"
	ServiceUnavailable   Condition = "service-unavailable"
)

// errorType is the RFC 6120 error type that goes with each condition.
func (c Condition) errorType() string {
	switch c {
	case BadRequest, NotAcceptable, PolicyViolation, JIDMalformed:
		return "modify"
	case NotAuthorized, RegistrationRequired, Forbidden:
		return "auth"
	case ResourceConstraint, RemoteServerTimeout:
		return "wait"
	}
	return "cancel"
}

// Writer builds one stanza as bytes. Attribute values and text are
// escaped; names are trusted (they are constants of ours).
type Writer struct {
	buf   bytes.Buffer
	stack []string
	open  bool // a start tag is open (attributes may follow)
}

// Start opens an element; ns, when set, becomes its xmlns.
func (w *Writer) Start(name, ns string) *Writer {
	w.closeTag()
	w.buf.WriteByte('<')
	w.buf.WriteString(name)
	w.stack = append(w.stack, name)
	w.open = true
	if ns != "" {
		w.Attr("xmlns", ns)
	}
	return w
}

// Attr adds an attribute to the element just opened; empty values are
// left out.
func (w *Writer) Attr(name, value string) *Writer {
	if value == "" {
		return w
	}
	return w.attr(name, value)
}

// attr is Attr, empty values too.
func (w *Writer) attr(name, value string) *Writer {
	if !w.open {
		panic("wire: Attr after content")
	}
	w.buf.WriteByte(' ')
	w.buf.WriteString(name)
	w.buf.WriteString(`="`)
	escape(&w.buf, value, true)
	w.buf.WriteByte('"')
	return w
}

// Text writes escaped character data.
func (w *Writer) Text(s string) *Writer {
	w.closeTag()
	escape(&w.buf, s, false)
	return w
}

// Raw writes an element already encoded (a stanza being wrapped).
func (w *Writer) Raw(b []byte) *Writer {
	w.closeTag()
	w.buf.Write(b)
	return w
}

// End closes the innermost open element.
func (w *Writer) End() *Writer {
	name := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	if w.open {
		w.buf.WriteString("/>")
		w.open = false
		return w
	}
	w.buf.WriteString("</")
	w.buf.WriteString(name)
	w.buf.WriteByte('>')
	return w
}

// Leaf writes <name xmlns=ns>text</name>, or <name xmlns=ns/> when text is "".
func (w *Writer) Leaf(name, ns, text string) *Writer {
	w.Start(name, ns)
	if text != "" {
		w.Text(text)
	}
	return w.End()
}

// nsXML is the namespace of the xml: prefix (xml:lang), bound by
// definition: encoding/xml reads xml:lang as an attribute in it.
const nsXML = "http://www.w3.org/XML/1998/namespace"

// Element writes a received element back out, whole: its namespace,
// every attribute (xml:lang, and those of other namespaces with a prefix
// declared for them, which encoding/xml resolved away), its text, then
// its children. Its names are written as read: the server's parser
// checked them (encoding/xml alone takes names no XML can say, as
// <p:y p:0="1"> with the prefix unbound).
func (w *Writer) Element(e *Element) *Writer {
	return w.element(e, e.XMLName.Space)
}

// element writes e where def is the default namespace: a child in none
// says so (xmlns=""), else it would take its parent's.
func (w *Writer) element(e *Element, def string) *Writer {
	switch space := e.XMLName.Space; {
	case space == nsXML:
		// Binding the default namespace to it is forbidden.
		w.Start("xml:"+e.XMLName.Local, "")
	case space == "" && def != "":
		w.Start(e.XMLName.Local, "").attr("xmlns", "")
		def = ""
	default:
		w.Start(e.XMLName.Local, space)
		def = space
	}
	var prefixes []string // of the namespaces of attributes, ns0, ns1, ...
	for _, a := range e.Attrs {
		switch a.Name.Space {
		case "":
			if a.Name.Local != "xmlns" {
				w.attr(a.Name.Local, a.Value)
			}
		case "xmlns":
			// A declaration: the prefixes written are ours.
		case nsXML:
			w.attr("xml:"+a.Name.Local, a.Value)
		default:
			i := slices.Index(prefixes, a.Name.Space)
			if i < 0 {
				i = len(prefixes)
				prefixes = append(prefixes, a.Name.Space)
				w.attr("xmlns:ns"+strconv.Itoa(i), a.Name.Space)
			}
			w.attr("ns"+strconv.Itoa(i)+":"+a.Name.Local, a.Value)
		}
	}
	if e.Text != "" {
		w.Text(e.Text)
	}
	for i := range e.Children {
		w.element(&e.Children[i], def)
	}
	return w.End()
}

// Bytes closes what is still open and returns the stanza.
func (w *Writer) Bytes() []byte {
	for len(w.stack) > 0 {
		w.End()
	}
	return w.buf.Bytes()
}

// String is Bytes as a string.
func (w *Writer) String() string { return string(w.Bytes()) }

func (w *Writer) closeTag() {
	if w.open {
		w.buf.WriteByte('>')
		w.open = false
	}
}

// EscapeAttr returns s escaped as an attribute value, as Writer writes
// one: for code that splices an attribute into bytes it did not write.
func EscapeAttr(s string) string {
	var b bytes.Buffer
	escape(&b, s, true)
	return b.String()
}

// escape writes s as XML character data or an attribute value. What
// XML 1.0 cannot carry (control characters but tab and newlines, invalid
// UTF-8, U+FFFE and U+FFFF) becomes U+FFFD, as encoding/xml does: a
// network's text holds such characters (IRC's formatting codes, a
// hostile contact), and one of them in a written stanza makes the server
// close the component's stream. One character for one keeps the offsets
// of references (XEP-0372) into the text right.
//
// A reader turns a literal carriage return into a newline (XML 1.0
// section 2.11) and, in an attribute value, a literal tab or newline into
// a space (section 3.3.3); a character reference is kept as written. So a
// carriage return is written as one everywhere, and a tab or newline in
// an attribute value (attr) too: else a value would come back changed
// from the server, or from a client that echoes it.
func escape(b *bytes.Buffer, s string, attr bool) {
	last := 0
	for i := 0; i < len(s); {
		c, size := s[i], 1
		var esc string
		switch {
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '&':
			esc = "&amp;"
		case c == '"':
			esc = "&quot;"
		case c == '\'':
			esc = "&apos;"
		case c == '\r':
			esc = "&#xD;"
		case c == '\n' && attr:
			esc = "&#xA;"
		case c == '\t' && attr:
			esc = "&#x9;"
		case c < 0x20 && c != '\t' && c != '\n':
			esc = "\uFFFD"
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[i:])
			size = n
			if (r != utf8.RuneError || n > 1) && r != 0xFFFE && r != 0xFFFF {
				i += n
				continue
			}
			esc = "\uFFFD"
		default:
			i++
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		i += size
		last = i
	}
	b.WriteString(s[last:])
}

// ErrorReply answers a stanza with an error of this condition, from the
// address it was sent to. The original payload is not echoed back.
func ErrorReply(s *Stanza, cond Condition, text string) []byte {
	return errorReply(s, cond, "", text)
}

// GoneReply answers a stanza with RFC 6120's gone: what it was sent to
// is now at uri (an XMPP URI, such as xmpp:room@host?join).
func GoneReply(s *Stanza, uri, text string) []byte {
	return errorReply(s, Gone, uri, text)
}

func errorReply(s *Stanza, cond Condition, condText, text string) []byte {
	var w Writer
	w.Start(s.Kind(), "").Attr("from", s.To()).Attr("to", s.From()).Attr("id", s.ID()).Attr("type", "error")
	if s.Kind() == "message" {
		// XEP-0359: let the client match the error to what it sent.
		if oid := s.Child(NSSID, "origin-id"); oid != nil {
			w.Element(oid)
		}
	}
	w.Start("error", "").Attr("type", cond.errorType())
	w.Leaf(string(cond), NSStanzas, condText)
	if text != "" {
		w.Start("text", NSStanzas).Attr("xml:lang", "en").Text(text).End()
	}
	return w.Bytes()
}

// Result starts an IQ result for s; add the payload and call Bytes.
func Result(s *Stanza) *Writer {
	var w Writer
	w.Start("iq", "").Attr("from", s.To()).Attr("to", s.From()).Attr("id", s.ID()).Attr("type", "result")
	return &w
}

// Decode reads one stanza from its start element.
func Decode(d *xml.Decoder, start *xml.StartElement) (*Stanza, error) {
	st := &Stanza{}
	if err := decodeElement(d, start, &st.Element); err != nil {
		return nil, fmt.Errorf("decode %s: %w", start.Name.Local, err)
	}
	return st, nil
}

// decodeElement builds e from start and the tokens up to its end: what
// d.DecodeElement(e, start) gives, without reflection, which was most of
// the cost of reading a stanza (a third of the time, half the
// allocations).
func decodeElement(d *xml.Decoder, start *xml.StartElement, e *Element) error {
	e.XMLName = start.Name
	if len(start.Attr) > 0 {
		e.Attrs = append([]xml.Attr(nil), start.Attr...)
	}
	var text []byte
	for {
		tok, err := d.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			e.Children = append(e.Children, Element{})
			if err := decodeElement(d, &t, &e.Children[len(e.Children)-1]); err != nil {
				return err
			}
		case xml.CharData:
			text = append(text, t...)
		case xml.EndElement:
			if len(text) > 0 {
				e.Text = string(text)
			}
			return nil
		}
	}
}

// Parse reads one stanza from XML text (tests, tools).
func Parse(s string) (*Stanza, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("parse stanza: %w", err)
		}
		if start, ok := tok.(xml.StartElement); ok {
			return Decode(d, &start)
		}
	}
}
