package signal_test

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// Through the gateway and Prosody: a message to a contact whose safety
// number changed gets an error saying to send /trust, and the notice
// comes in their chat; "/trust" typed there is answered to the user
// alone and nothing goes to the contact; then messages go to them again.
func TestGatewayTrust(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Prosody")
	}
	bin, err := gatewaytest.Build(t.TempDir(), pluginPkg)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := startFake(t)
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: bin, Name: "signal",
		PluginConfig: `socket = "` + d.Path() + `"`, Privileged: true})
	user := g.User("alice")
	g.WaitReady(user)
	if r := loginByQR(t, g, user, d); !strings.Contains(r.Notes(), "logged in") {
		t.Fatalf("login not completed: %s", r.XML)
	}
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	bobJID := g.JID(bob)
	send := func(id, body string) {
		t.Helper()
		if err := user.SendRaw(ctx, `<message type='chat' to='`+bobJID+`' id='`+id+`'><body>`+body+`</body></message>`); err != nil {
			t.Fatal(err)
		}
	}

	d.Fail(bob, "IDENTITY_FAILURE")
	send("t1", "hello")
	for errored, told := false, false; !errored || !told; {
		s := g.Next(user, "the error and the notice", func(s xmpptest.Stanza) bool {
			return s.Name == "message" && gatewaytest.Bare(s.From) == bobJID && (s.Type == "error" || strings.Contains(s.Body, "safety number changed"))
		})
		if s.Type == "error" {
			if !strings.Contains(s.XML, "not-allowed") || !strings.Contains(s.XML, "/trust") {
				t.Fatalf("the error: %s, want not-allowed saying to send /trust", s.XML)
			}
			errored = true
		} else {
			told = true
		}
	}

	send("t2", "/trust")
	s := g.Next(user, "the answer to /trust", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == bobJID && (s.Type == "error" || strings.Contains(s.Body, "accepted"))
	})
	if s.Type == "error" {
		t.Fatalf("/trust refused: %s", s.XML)
	}
	if r, ok := lastRequest(d, "trust"); !ok || r.Params["recipient"] != bob {
		t.Fatalf("the trust asked: %v", r.Params)
	}
	if _, ok := lastRequest(d, "send"); ok {
		t.Fatal("/trust went to bob as a message")
	}
	send("t3", "hello again")
	waitSent(t, d, bob, "hello again")
}
