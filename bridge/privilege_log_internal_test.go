package bridge

import (
	"log/slog"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/syncbuf"
)

// TestPrivilegeLogReadable: the startup log of the granted privileges
// names the iq permissions as a sorted "ns=type" list, not as a Go map
// (it printed iq=map[http://…:set urn:…:get]).
func TestPrivilegeLogReadable(t *testing.T) {
	st, err := wire.Parse(`<message from="localhost" to="echo.localhost"><privilege xmlns="urn:xmpp:privilege:2">` +
		`<perm access="roster" type="both"/>` +
		`<perm access="iq"><namespace ns="urn:xmpp:http:upload:0" type="get"/><namespace ns="http://jabber.org/protocol/pubsub" type="both"/></perm>` +
		`</privilege></message>`)
	if err != nil {
		t.Fatal(err)
	}
	tr := newTestTransport(t)
	var logs syncbuf.Buffer
	tr.log = slog.New(slog.NewTextHandler(&logs, nil))
	tr.onPrivilege(st.Child(nsPrivilege, "privilege"))
	if want := `iq="http://jabber.org/protocol/pubsub=both urn:xmpp:http:upload:0=get"`; !strings.Contains(logs.String(), want) {
		t.Errorf("log %q, want %s", logs.String(), want)
	}
	tr.onPrivilege(&wire.Element{})
	if !strings.Contains(logs.String(), `iq=""`) {
		t.Errorf("no iq permission: log %q, want iq=\"\"", logs.String())
	}
}
