package pythonecho_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// The Python plugin through the whole gateway and a real Prosody: a login
// by ad-hoc command, the echo chat's history as delayed messages, a
// correction, a message and its echo, again after the gateway (and so the
// plugin) restarted.
func TestThroughGateway(t *testing.T) {
	needPython(t)
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: script(t), Name: "pyecho", Backfill: 10,
		PluginConfig: `contact_name = "Echo"`})
	alice := g.User("alice")
	g.WaitReady(alice)

	r, st := g.Command(alice, "login", "", "", nil)
	if st.Type != "result" || r.Command.SessionID == "" {
		t.Fatalf("login command: %s", st.XML)
	}
	// Two flows: the gateway asks which first.
	if _, _, ok := r.Field("flow"); !ok {
		t.Fatalf("login command: no choice of flow: %s", st.XML)
	}
	r, st = g.Command(alice, "login", r.Command.SessionID, "next", map[string]string{"flow": "username"})
	if _, _, ok := r.Field("username"); st.Type != "result" || !ok {
		t.Fatalf("login, flow username: %s", st.XML)
	}
	r, st = g.Command(alice, "login", r.Command.SessionID, "next", map[string]string{"username": "alice"})
	if st.Type != "result" || r.Command.Status != "completed" {
		t.Fatalf("login: %s", st.XML)
	}

	echo := g.JID("echo")
	fromEcho := func(what string, match func(xmpptest.Stanza) bool) xmpptest.Stanza {
		t.Helper()
		return g.Next(alice, what, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && gatewaytest.Bare(s.From) == echo && s.Body != "" && match(s)
		})
	}
	// The history: the echo chat's three messages, oldest first, delayed.
	for _, want := range []string{"Welcome to the echo network.", "Say anything: I say it back.", "Edit it and so do I."} {
		got := fromEcho("history", func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, "urn:xmpp:delay") })
		if got.Body != want {
			t.Fatalf("history: got %q, want %q:\n%s", got.Body, want, got.XML)
		}
	}
	// A correction (XEP-0308) of a message: the echo corrects its answer,
	// found by the metadata the plugin gave the first send and the
	// gateway handed back.
	first := g.SendChat(alice, echo, "helo")
	answer := fromEcho("the echo", func(s xmpptest.Stanza) bool { return s.Body == "helo" })
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	id := alice.NewID()
	if err := alice.SendRaw(ctx, `<message type='chat' id='`+id+`' to='`+echo+`'><body>hello</body>`+
		`<replace xmlns='urn:xmpp:message-correct:0' id='`+first+`'/><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`); err != nil {
		t.Fatal(err)
	}
	fixed := fromEcho("the corrected echo", func(s xmpptest.Stanza) bool { return s.Body == "hello" })
	if !strings.Contains(fixed.XML, "urn:xmpp:message-correct:0") || !strings.Contains(fixed.XML, `id="`+answer.ID+`"`) {
		t.Fatalf("the echo's correction does not replace its answer %q:\n%s", answer.ID, fixed.XML)
	}

	for round := range 2 {
		body := fmt.Sprintf("hello %d <&>", round)
		g.SendChat(alice, echo, body)
		got := fromEcho("the echo", func(s xmpptest.Stanza) bool { return !strings.Contains(s.XML, "urn:xmpp:delay") })
		if got.Body != body || got.Type == "error" {
			t.Fatalf("round %d: echo %s", round, got.XML)
		}
		g.Restart()
		g.WaitReady(alice)
	}
}
