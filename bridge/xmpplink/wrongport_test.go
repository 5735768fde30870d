package xmpplink

import (
	"context"
	"io"
	"net"
	"testing"

	"passerelle.im/passerelle/internal/prosodytest"
)

// A link whose xmpp.server is not the component port says what answered
// and which port to give: Prosody's client port (which refuses a
// component's domain with host-unknown, a refusal the link read as "the
// server has no component"), a client port that names no namespace but
// offers STARTTLS, a server-to-server port, a TLS server, an HTTP
// server.
func TestLinkWrongPort(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	t.Run("prosody-c2s", func(t *testing.T) {
		_, logs := runLink(t, srv.C2SAddr(), "gw.localhost", "s")
		logSays(t, logs, "is not the component port", "client port (it answered as jabber:client)", "component_ports, 5347")
	})
	for _, tc := range []struct {
		name, answer string
		want         []string
	}{
		{"starttls", "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>",
			[]string{"client port (it offered its users STARTTLS"}},
		{"s2s", "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>",
			[]string{"server-to-server port (it answered as jabber:server)"}},
		// A TLS alert record (handshake failure), as OpenSSL answers
		// what is no ClientHello.
		{"tls", "\x15\x03\x01\x00\x02\x02\x28", []string{"a TLS server answered", "direct-TLS"}},
		{"http", "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<html><body>Bad Request</body></html>", []string{`an HTTP server answered \"HTTP/1.1 400 Bad Request\"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, logs := runLink(t, answerEach(t, tc.answer), "gw.localhost", "s")
			logSays(t, logs, append([]string{"is not the component port", "component_ports, 5347"}, tc.want...)...)
		})
	}
}

// The probe of check-config reads the same answers without a handshake:
// Prosody's component port is one, its client port is not.
func TestProbe(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	if a, err := Probe(context.Background(), srv.ComponentAddr(), "gw.localhost"); err != nil || a.Kind != PortComponent || a.Problem() != "" {
		t.Errorf("component port: %+v, %v", a, err)
	}
	if a, err := Probe(context.Background(), srv.C2SAddr(), "gw.localhost"); err != nil || a.Kind != PortClient {
		t.Errorf("client port: %+v, %v", a, err)
	}
	if a, err := Probe(context.Background(), answerEach(t, "\x15\x03\x01\x00\x02\x02\x28"), "gw.localhost"); err != nil || a.Kind != PortOther || a.Problem() == "" {
		t.Errorf("TLS server: %+v, %v", a, err)
	}
}

// answerEach listens on loopback and writes answer to each connection
// once it sent something, then closes it.
func answerEach(t *testing.T, answer string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 512)
				if _, err := c.Read(buf); err != nil {
					return
				}
				io.WriteString(c, answer)
			}()
		}
	}()
	return l.Addr().String()
}
