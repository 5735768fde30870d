package irc_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/plugintest"
)

// TestEndToEndLeaveWithReason: "/leave REASON" typed in a channel's room
// parts the channel with REASON as the PART's reason, as biboumi does
// (LeaveChat.reason), and the user's room shows them out; a bare
// "/leave" parts without one. Before, "/leave see you" went to the
// channel as a message and the user stayed in it.
func TestEndToEndLeaveWithReason(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	dave.join("#bye")
	dave.join("#quiet")
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: plugintest.BuildBinary(t, pluginPkg), Name: "irc"})
	alice := g.User("alice")
	g.WaitReady(alice)
	ircLogin(t, g, alice, s.port, "#bye,#quiet")
	g.Next(alice, "the login's connected status", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == g.Domain && strings.Contains(s.XML, "connected to 127.0.0.1")
	})

	for _, c := range []struct{ channel, typed, reason string }{
		{"#bye", "/leave  see   you ", "see you"},
		{"#quiet", "/leave", ""},
	} {
		room := g.JID(c.channel)
		self := joinRoom(g, alice, room, "alice")
		if self.Type == "error" {
			t.Fatalf("join of %s: %s", room, self.XML)
		}
		sendGroupchat(g, alice, room, c.typed)
		m := dave.await("PART", "")
		for m.Nick() != "alice" {
			m = dave.await("PART", "")
		}
		reason := "" // ngircd relays a PART without one as an empty one
		if len(m.Params) > 1 {
			reason = m.Params[1]
		}
		if !strings.EqualFold(m.Params[0], c.channel) || reason != c.reason {
			t.Errorf("%q: alice's PART is %q, want %s with reason %q", c.typed, m.Params, c.channel, c.reason)
		}
		g.Next(alice, "alice out of "+room, func(st xmpptest.Stanza) bool {
			return st.Name == "presence" && gatewaytest.Bare(st.From) == room && st.Type == "unavailable" && strings.Contains(st.XML, "321")
		})
	}
}
