package xmpplink

import (
	"bufio"
	"context"
	"encoding/xml"
	"io"
	"net"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/prosodytest"
)

// TestStreamErrorText: a stream error from the server is logged with its
// <text/>, which says what was wrong (Prosody's invalid-from names the
// address refused), not only its condition.
func TestStreamErrorText(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	l, logs := runLink(t, srv.ComponentAddr(), "gw.localhost", "s")
	waitUp(t, l)
	var w wire.Writer
	w.Start("message", "").Attr("from", "a@elsewhere.localhost").Attr("to", "b@localhost").Leaf("body", "", "m")
	if err := l.Send(context.Background(), w.Bytes(), nil); err != nil {
		t.Fatal(err)
	}
	logSays(t, logs, "stream error from the server: invalid-from", "a@elsewhere.localhost")
}

// TestStreamErrorElement: a <stream:error/> the reader meets as an
// element (not turned into an error by the session) says its condition
// and first <text/> as the session's stream errors do; one with no
// condition says undefined-condition.
func TestStreamErrorElement(t *testing.T) {
	l := New(Config{Domain: "gw.localhost", Handle: func(*wire.Stanza) {}})
	for _, tc := range []struct{ inner, want string }{
		{`<invalid-from xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>from a@elsewhere</text>`,
			`stream error from the server: invalid-from: "from a@elsewhere"`},
		{`<conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>`, `stream error from the server: conflict`},
		{``, `stream error from the server: undefined-condition`},
	} {
		err := l.read(xml.NewDecoder(strings.NewReader(`<stream:error xmlns:stream='http://etherx.jabber.org/streams'>` + tc.inner + `</stream:error>`)))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v, want %s", tc.inner, err, tc.want)
		}
	}
}

// erringServer is silentServer that, once the handshake is done, sends
// after (a stream error) and reads on until the link hangs up.
func erringServer(t *testing.T, after string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go serveHandshakes(t, ln, `<handshake/>`+after, nil)
	return ln.Addr().String()
}

// serveHandshakes accepts links on ln until it closes: to each, after
// its stream header and handshake (any secret), it writes answer, says
// so on conns (if not nil), then reads on until the link hangs up.
func serveHandshakes(t *testing.T, ln net.Listener, answer string, conns chan<- struct{}) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		t.Cleanup(func() { c.Close() })
		go func() {
			r := bufio.NewReader(c)
			head, err := r.ReadString('>')
			for err == nil && !strings.Contains(head, "stream:stream") {
				head, err = r.ReadString('>')
			}
			if err != nil {
				return
			}
			io.WriteString(c, `<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' from='gw.localhost' id='s1'>`)
			for range 2 { // <handshake>, </handshake>
				if _, err := r.ReadString('>'); err != nil {
					return
				}
			}
			io.WriteString(c, answer)
			if conns != nil {
				conns <- struct{}{}
			}
			io.Copy(io.Discard, r)
		}()
	}
}

// TestStreamErrorsToldAndPaced: a server's see-other-host, conflict and
// system-shutdown are each told for what they are, with what to do; the
// two that a retry cannot cure (the server says the same each time, or
// another process holds the name) are retried at ReconnectMax's pace, not
// from 250 ms up. Before, each was "component link down" retried at once,
// and see-other-host did not say the address the server named.
func TestStreamErrorsToldAndPaced(t *testing.T) {
	const ns = `xmlns='urn:ietf:params:xml:ns:xmpp-streams'`
	for _, tc := range []struct {
		name, after string
		want        []string
	}{
		{"see-other-host", `<stream:error><see-other-host ` + ns + `>xmpp2.example.org:5347</see-other-host></stream:error>`,
			[]string{"see-other-host): point xmpp.server at it", `it names \"xmpp2.example.org:5347\"`, "retry_in=1s"}},
		{"conflict", `<stream:error><conflict ` + ns + `/></stream:error>`,
			[]string{"is another passerelle running with this transport?", "retry_in=1s"}},
		{"system-shutdown", `<stream:error><system-shutdown ` + ns + `/></stream:error>`,
			[]string{"the XMPP server is shutting down", "stream error from the server: system-shutdown"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, logs := runLink(t, erringServer(t, tc.after), "gw.localhost", "s")
			logSays(t, logs, tc.want...)
		})
	}
}
