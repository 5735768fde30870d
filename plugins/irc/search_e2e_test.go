package irc_test

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/plugintest"
)

// TestEndToEndFindGroup: the whole way through the gateway against
// ngircd: a channel another IRC user made is found by a part of its
// name, from the find chat command and the find-group ad-hoc command,
// with its room address, users and topic; that address joins it.
func TestEndToEndFindGroup(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	dave.join("#Gopher-Den")
	if err := dave.conn.Send("TOPIC", "#Gopher-Den", "Gophers meet here"); err != nil {
		t.Fatal(err)
	}
	dave.await("TOPIC", "Gophers meet here")
	dave.join("#rust")
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: plugintest.BuildBinary(t, pluginPkg), Name: "irc"})
	alice := g.User("alice")
	g.WaitReady(alice)
	ircLogin(t, g, alice, s.port, "")
	g.Next(alice, "the login's connected status", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == g.Domain && strings.Contains(s.XML, "connected to 127.0.0.1")
	})
	room := g.JID("#gopher-den")

	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := alice.SendRaw(ctx, `<message type='chat' to='`+g.Domain+`'><body>find GOPHER</body></message>`); err != nil {
		t.Fatal(err)
	}
	want := "1 group found for “GOPHER”.\n  #Gopher-Den: " + room + " (1 member)\n      Gophers meet here\nJoin one by its room address."
	if st := g.Next(alice, "the find answer", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.From == g.Domain && strings.Contains(s.Body, "found")
	}); st.Body != want {
		t.Errorf("find GOPHER:\n%s\nwant\n%s", st.Body, want)
	}

	form, st := g.Command(alice, "find-group", "", "", nil)
	if st.Type != "result" || form.Command.Status != "executing" {
		t.Fatalf("find-group: %s", st.XML)
	}
	r, st := g.Command(alice, "find-group", form.Command.SessionID, "", map[string]string{"query": "den"})
	if st.Type != "result" || r.Command.Status != "completed" || !strings.Contains(r.XML, "<value>"+room+"</value>") ||
		!strings.Contains(r.XML, "<value>Gophers meet here</value>") || strings.Contains(r.XML, "rust") {
		t.Fatalf("find-group den: %s", r.XML)
	}

	if self := joinRoom(g, alice, room, "alice"); self.Type == "error" {
		t.Fatalf("join of the found %s: %s", room, self.XML)
	}
}
