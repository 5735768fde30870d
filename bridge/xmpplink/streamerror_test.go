package xmpplink

import (
	"context"
	"encoding/xml"
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
