package main

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"passerelle.im/passerelle/bridge/config"
)

// serverPort is what answered at xmpp.server.
type serverPort int

const (
	portOther     serverPort = iota // no XMPP stream, or one of no known kind
	portComponent                   // jabber:component:accept: right
	portClient                      // jabber:client: the users' port (5222)
	portServer                      // jabber:server: server-to-server (5269)
)

// probeTimeout bounds the probe: a dial and one stream header.
const probeTimeout = 5 * time.Second

// probeServer opens an XEP-0114 stream to domain at addr and reads the
// server's answer, up to its first element after the stream header,
// without a handshake (which would take the component's place, or
// share it with ejabberd's balancing, beside a running gateway). An
// error is no answer read: nothing listens, or no XMPP stream.
//
// A client port answers the component namespace with its own
// (jabber:client) and then features or host-unknown for a component's
// domain, which the handshake reported as "the server has no component":
// true but no help to an admin who gave 5222 for 5347.
func probeServer(ctx context.Context, addr, domain string) (serverPort, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return portOther, err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	var to strings.Builder
	xml.EscapeText(&to, []byte(domain))
	if _, err := fmt.Fprintf(conn, "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='%s'>", to.String()); err != nil {
		return portOther, err
	}
	dec := xml.NewDecoder(conn)
	stream, err := nextStart(dec)
	if errors.Is(err, io.EOF) {
		return portOther, errors.New("the connection closed before an XMPP stream began")
	}
	if err != nil {
		return portOther, err
	}
	defer fmt.Fprint(conn, "</stream:stream>")
	if stream.Name.Space != streamsNS || stream.Name.Local != "stream" {
		return portOther, fmt.Errorf("the answer is no XMPP stream but <%s>", stream.Name.Local)
	}
	for _, a := range stream.Attr {
		if a.Name.Space == "" && a.Name.Local == "xmlns" {
			switch a.Value {
			case "jabber:component:accept":
				return portComponent, nil
			case "jabber:client":
				return portClient, nil
			case "jabber:server":
				return portServer, nil
			}
		}
	}
	// No namespace said: a client port offers TLS or SASL at once.
	first, err := nextStart(dec)
	if err != nil {
		return portOther, nil
	}
	if first.Name.Space == streamsNS && first.Name.Local == "features" {
		for {
			el, err := nextStart(dec)
			if err != nil {
				break
			}
			if el.Name.Local == "starttls" || el.Name.Local == "mechanisms" {
				return portClient, nil
			}
			dec.Skip()
		}
	}
	return portOther, nil
}

const streamsNS = "http://etherx.jabber.org/streams"

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

// wrongPortProblem says what xmpp.server reached when it is a port of
// the server other than its component port, "" otherwise.
func wrongPortProblem(kind serverPort) string {
	const component = "the gateway connects to the component port (XEP-0114; Prosody: component_ports, 5347 by default; ejabberd: its ejabberd_service listener, 5347 in examples/ejabberd.yml)"
	switch kind {
	case portClient:
		return "this is the XMPP server's client port (it answered as jabber:client), where users' apps log in; " + component
	case portServer:
		return "this is the XMPP server's server-to-server port (it answered as jabber:server); " + component
	}
	return ""
}

// checkServer is check-config's probe of xmpp.server: a client or
// server-to-server port is an error (on stderr, false), no answer a
// warning (the server may start later; the gateway keeps trying).
func checkServer(cfg *config.Config, stdout, stderr io.Writer) bool {
	kind, err := probeServer(context.Background(), cfg.XMPP.Server, probeDomain(cfg))
	switch {
	case err != nil:
		fmt.Fprintf(stdout, "warning:   xmpp.server %s did not answer as an XMPP server (%v): is the server running, and is this its component port? The gateway keeps trying\n", cfg.XMPP.Server, err)
	case kind == portComponent:
		fmt.Fprintf(stdout, "server %s: answered as a component port\n", cfg.XMPP.Server)
	case wrongPortProblem(kind) != "":
		fmt.Fprintln(stderr, serverError(cfg, kind))
		return false
	default:
		fmt.Fprintf(stdout, "warning:   xmpp.server %s answered as an XMPP server, but not as a component port\n", cfg.XMPP.Server)
	}
	return true
}

// serverError is the configuration problem of xmpp.server reaching a
// port of kind.
func serverError(cfg *config.Config, kind serverPort) error {
	return &config.Error{File: cfg.Path, Line: cfg.XMPP.ServerLine, Key: "xmpp.server",
		Err: fmt.Errorf("%q: %s", cfg.XMPP.Server, wrongPortProblem(kind))}
}

// probeDomain is the component domain the probe's stream is to: the
// first enabled transport's.
func probeDomain(cfg *config.Config) string {
	for _, t := range cfg.Transports {
		if t.Enabled {
			return t.Domain
		}
	}
	return ""
}
