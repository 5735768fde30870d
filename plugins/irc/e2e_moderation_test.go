package irc_test

import (
	"context"
	"encoding/base64"
	"image/color"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/plugintest"
)

// Moderating from an XMPP client, the whole way (a real Prosody, the
// gateway, the plugin binary, ngircd): alice created the channel, so is
// its operator; a muc#admin item with role moderator is MODE +o, one
// with role none kicks dave, which is a KICK on IRC, and dave leaves the room (presence unavailable, status
// 307); a role change where the server refuses comes back as the IQ's
// error. A channel's picture set from the client is refused: IRC has
// none.
func TestEndToEndKick(t *testing.T) {
	s := startNgircd(t)
	dave := ircUser{newClient(t, s, "dave")}
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: plugintest.BuildBinary(t, pluginPkg), Name: "irc"})
	alice := g.User("alice")
	g.WaitReady(alice)
	ircLogin(t, g, alice, s.port, "#kick")
	g.Next(alice, "the login's connected status", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == g.Domain && strings.Contains(s.XML, "connected to 127.0.0.1")
	})
	dave.join("#kick") // after alice: she is the channel's operator

	room := g.JID("#kick")
	if self := joinRoom(g, alice, room, "alice"); self.Type == "error" {
		t.Fatalf("join of %s: %s", room, self.XML)
	}
	g.Next(alice, "dave in the room", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == room+"/dave" && s.Type == ""
	})
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	admin := func(room, item string) xmpptest.Stanza {
		t.Helper()
		st, err := alice.IQ(ctx, `<iq type='set' to='`+gatewaytest.Escape(room)+`'><query xmlns='http://jabber.org/protocol/muc#admin'>`+item+`</query></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	// A moderator is an operator: +o.
	if st := admin(room, `<item nick='dave' role='moderator'/>`); st.Type != "result" {
		t.Fatalf("dave moderator: %s", st.XML)
	}
	if m := dave.await("MODE", "dave"); strings.Join(m.Params, " ") != "#kick +o dave" {
		t.Errorf("dave saw %v", m)
	}
	g.Next(alice, "dave a moderator", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == room+"/dave" && s.Type == "" && strings.Contains(s.XML, "moderator")
	})

	if st := admin(room, `<item nick='dave' role='none'><reason>off topic</reason></item>`); st.Type != "result" {
		t.Fatalf("kick: %s", st.XML)
	}
	if m := dave.await("KICK", "off topic"); m.Nick() != "alice" || m.Params[0] != "#kick" || m.Params[1] != "dave" {
		t.Errorf("dave saw %v", m)
	}
	g.Next(alice, "dave kicked from the room", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == room+"/dave" && s.Type == "unavailable" && strings.Contains(s.XML, "307")
	})

	// In dave's own channel alice is no operator: the server's refusal
	// is the IQ's not-allowed, in its words.
	dave.join("#daves")
	daves := g.JID("#daves")
	if self := joinRoom(g, alice, daves, "alice"); self.Type == "error" {
		t.Fatalf("join of %s: %s", daves, self.XML)
	}
	g.Next(alice, "dave in his room", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == daves+"/dave" && s.Type == ""
	})
	st := admin(daves, `<item nick='dave' role='none'/>`)
	if st.Type != "error" || st.Err == nil || st.Err.Condition != "not-allowed" || !strings.Contains(st.Err.Text, "not a channel operator") {
		t.Errorf("kick by a non-operator: %s", st.XML)
	}

	// IRC channels have no picture: a room avatar set from the client
	// (XEP-0486) is feature-not-implemented, from the gateway.
	st, err := alice.IQ(ctx, `<iq type='set' to='`+gatewaytest.Escape(room)+`'><vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>`+
		base64.StdEncoding.EncodeToString(plugintest.PNG(2, 2, color.White))+`</BINVAL></PHOTO></vCard></iq>`)
	if err != nil || st.Type != "error" || st.Err == nil || st.Err.Condition != "feature-not-implemented" {
		t.Errorf("a channel's picture set: %v %s, want feature-not-implemented", err, st.XML)
	}
}
