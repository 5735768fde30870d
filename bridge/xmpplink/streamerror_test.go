package xmpplink

import (
	"context"
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
