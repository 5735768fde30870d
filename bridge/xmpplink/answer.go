package xmpplink

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// ErrWrongPort means xmpp.server is not the server's component port: a
// client or server-to-server port, or no XMPP server at all. Like a
// refused handshake, only a change of config helps.
var ErrWrongPort = errors.New("xmpp.server is not the XMPP server's component port")

// PortKind is what answered at xmpp.server.
type PortKind int

// What may answer at xmpp.server.
const (
	PortOther     PortKind = iota // no XMPP stream, or one of no known kind
	PortComponent                 // jabber:component:accept: right
	PortClient                    // jabber:client: the users' port (5222)
	PortServer                    // jabber:server: server-to-server (5269)
)

// Answer is what answered a component stream's header.
type Answer struct {
	Kind PortKind
	// Found says what answered when it is not a component port ("" for
	// one): the stream's namespace and features, or the first bytes of
	// an answer in no XMPP.
	Found string
}

// Problem says what is wrong with xmpp.server when the answer is a port
// of the server other than its component port, or no XMPP stream; ""
// for a component port, or an XMPP stream of no known kind.
func (a Answer) Problem() string {
	const component = "the gateway connects to the component port (XEP-0114; Prosody: component_ports, 5347 by default; ejabberd: its ejabberd_service listener, 5347 in examples/ejabberd.yml)"
	switch {
	case a.Kind == PortClient:
		return "this is the XMPP server's client port (" + a.Found + "), where users' apps log in; " + component
	case a.Kind == PortServer:
		return "this is the XMPP server's server-to-server port (" + a.Found + "); " + component
	case a.Kind == PortOther && a.Found != "":
		return "this is no XMPP server's port (" + a.Found + "); " + component
	}
	return ""
}

// answerBytes is how much of the server's first answer a link keeps, to
// say what answered when the handshake fails.
const answerBytes = 4096

// recorder reads and writes through a connection and keeps the first
// answerBytes read, until stop. It is no net.Conn on purpose: mellium
// sets a net.Conn's deadline when the handshake's context ends and then
// clears it, which raced with the link's own deadline: a reader woken by
// the first found none when it ran and read on, so a handshake a silent
// server never answered waited for ever, and so did the stop.
type recorder struct {
	conn  net.Conn
	first keeper
}

func newRecorder(conn net.Conn) *recorder {
	return &recorder{conn: conn, first: keeper{r: conn, max: answerBytes}}
}

func (r *recorder) Read(p []byte) (int, error)  { return r.first.Read(p) }
func (r *recorder) Write(p []byte) (int, error) { return r.conn.Write(p) }

// stop ends the recording and returns what was kept.
func (r *recorder) stop() []byte {
	b := r.first.buf
	r.first.max, r.first.buf = 0, nil
	return b
}

// readAnswer reads what answered a component stream's header from r, up
// to the first element after the server's stream header: an error is an
// answer too short to tell (nothing, or a stream cut short).
func readAnswer(r io.Reader) (Answer, error) {
	head := &keeper{r: r, max: 64} // enough to say what answered in no XML
	dec := xml.NewDecoder(head)
	stream, err := nextStart(dec)
	// An answer in no XML (an HTTP status line before its HTML page) is
	// said by its first bytes, whatever the decoder made of them.
	if first := head.buf; len(first) > 0 && !bytes.HasPrefix(bytes.TrimSpace(first), []byte("<")) {
		return Answer{Found: notXMPP(first)}, nil
	}
	if err != nil {
		if errors.Is(err, io.EOF) && len(head.buf) == 0 {
			return Answer{}, errors.New("the connection closed before an XMPP stream began")
		}
		return Answer{}, err
	}
	if stream.Name.Space != nsStream || stream.Name.Local != "stream" {
		return Answer{Found: fmt.Sprintf("the answer is no XMPP stream but <%s>", stream.Name.Local)}, nil
	}
	for _, a := range stream.Attr {
		if a.Name.Space == "" && a.Name.Local == "xmlns" {
			switch a.Value {
			case "jabber:component:accept":
				return Answer{Kind: PortComponent}, nil
			case "jabber:client":
				return Answer{Kind: PortClient, Found: "it answered as jabber:client"}, nil
			case "jabber:server":
				return Answer{Kind: PortServer, Found: "it answered as jabber:server"}, nil
			}
		}
	}
	// No namespace said: a client port offers TLS or SASL at once.
	first, err := nextStart(dec)
	if err != nil || first.Name.Space != nsStream || first.Name.Local != "features" {
		return Answer{}, nil
	}
	for {
		el, err := nextStart(dec)
		if err != nil {
			return Answer{}, nil
		}
		if el.Name.Local == "starttls" || el.Name.Local == "mechanisms" {
			return Answer{Kind: PortClient, Found: "it offered its users " + map[string]string{"starttls": "STARTTLS", "mechanisms": "SASL"}[el.Name.Local] + " in <stream:features>"}, nil
		}
		dec.Skip()
	}
}

// notXMPP says what answered in no XML: a TLS server (a direct-TLS port,
// HTTPS), an HTTP server, or some other service.
func notXMPP(first []byte) string {
	switch {
	case len(first) >= 3 && (first[0] == 0x15 || first[0] == 0x16) && first[1] == 0x03:
		return "a TLS server answered: a port where TLS starts at once, such as the server's direct-TLS client port (5223) or HTTPS"
	case bytes.HasPrefix(first, []byte("HTTP/")):
		line, _, _ := strings.Cut(string(first), "\r\n")
		return fmt.Sprintf("an HTTP server answered %q", line)
	}
	return fmt.Sprintf("the answer is no XMPP stream: it began %q", first[:min(len(first), 32)])
}

// keeper reads through r and keeps the first max bytes read.
type keeper struct {
	r   io.Reader
	max int
	buf []byte
}

func (k *keeper) Read(b []byte) (int, error) {
	n, err := k.r.Read(b)
	if len(k.buf) < k.max {
		k.buf = append(k.buf, b[:min(n, k.max-len(k.buf))]...)
	}
	return n, err
}

// nextStart returns the next start element of dec.
func nextStart(dec *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := dec.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, errors.New("the element ended")
		}
	}
}

// probeTimeout bounds Probe: a dial and one stream header.
const probeTimeout = 5 * time.Second

// Probe opens a component stream to domain at addr and reads the
// server's answer, without a handshake (which would take the
// component's place, or share it with ejabberd's balancing, beside a
// running gateway): check-config's look at xmpp.server. An error is no
// answer read: nothing listens, or the stream was cut short. A link's
// failed handshake reads the same answer (wrongPort).
func Probe(ctx context.Context, addr, domain string) (Answer, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return Answer{}, err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	var to strings.Builder
	xml.EscapeText(&to, []byte(domain))
	if _, err := fmt.Fprintf(conn, "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='%s'>", to.String()); err != nil {
		return Answer{}, err
	}
	a, err := readAnswer(conn)
	if err == nil {
		fmt.Fprint(conn, "</stream:stream>")
	}
	return a, err
}

// wrongPort returns, for a failed handshake, the error that says
// xmpp.server (addr) is no component port when what the server first
// answered (the recorder's bytes) shows it, or nil.
func wrongPort(answer []byte, addr string) error {
	a, err := readAnswer(bytes.NewReader(answer))
	if err != nil {
		return nil
	}
	if p := a.Problem(); p != "" {
		return fmt.Errorf("%w: %s: %s", ErrWrongPort, addr, p)
	}
	return nil
}
