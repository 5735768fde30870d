package signal_test

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// Through the gateway and Prosody: a group message a member whose safety
// number changed did not get is the user's message in the room, as the
// others got it, with an error on it naming that member and what to do
// (the contract's sent in part).
func TestGatewayGroupPartlyUntrusted(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Prosody")
	}
	bin, err := gatewaytest.Build(t.TempDir(), pluginPkg)
	if err != nil {
		t.Fatal(err)
	}
	d, gid := startFake(t)
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: bin, Name: "signal",
		PluginConfig: `socket = "` + d.Path() + `"`, Privileged: true})
	user := g.User("alice")
	g.WaitReady(user)
	if r := loginByQR(t, g, user, d); !strings.Contains(r.Notes(), "logged in") {
		t.Fatalf("login not completed: %s", r.XML)
	}
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	room := g.JID(hexGroup(gid))
	if err := user.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	g.Next(user, "room subject", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "<subject")
	})

	d.Fail(carol, "IDENTITY_FAILURE")
	if err := user.SendRaw(ctx, `<message type='groupchat' to='`+room+`' id='p1'><body>not to carol</body><origin-id xmlns='urn:xmpp:sid:0' id='p1'/></message>`); err != nil {
		t.Fatal(err)
	}
	waitGroupSent(t, d, gid, "not to carol")
	reflected, failed := false, false
	for !reflected || !failed {
		s := g.Next(user, "the message's reflection and its error", func(s xmpptest.Stanza) bool {
			return s.Name == "message" && gatewaytest.Bare(s.From) == room && (s.Body == "not to carol" || s.Type == "error")
		})
		switch {
		case s.Type == "error":
			if !strings.Contains(s.XML, "not-allowed") || !strings.Contains(s.XML, carol) || !strings.Contains(s.XML, "Mark as verified") {
				t.Fatalf("the error: %s, want not-allowed naming carol and what to do", s.XML)
			}
			failed = true
		default:
			reflected = true
		}
	}
}
