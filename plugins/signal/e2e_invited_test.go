package signal_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// gatewayAlice starts the gateway and Prosody with the plugin on the
// fake daemon d, and alice logged in by QR code, her contacts synced.
func gatewayAlice(t *testing.T, d *fakesignal.Daemon) (*gatewaytest.Gateway, *xmpptest.Client) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: starts Prosody")
	}
	bin, err := gatewaytest.Build(t.TempDir(), pluginPkg)
	if err != nil {
		t.Fatal(err)
	}
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: bin, Name: "signal", PluginConfig: `socket = "` + d.Path() + `"`, Privileged: true})
	user := g.User("alice")
	g.WaitReady(user)
	loginByQR(t, g, user, d)
	g.WaitRoster(user, "bob on the roster", func(m map[string]gatewaytest.RosterItem) bool { return m[g.JID(bob)].Name == "Bob" })
	return g, user
}

// discoIsRoom asks addr's disco#info as user and reports whether it
// answers as a room (XEP-0045 §6.4's conference identity).
func discoIsRoom(t *testing.T, user *xmpptest.Client, addr string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	st, err := user.IQ(ctx, `<iq type='get' to='`+addr+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	if st.Type != "result" {
		t.Fatalf("disco#info of %s: %s", addr, st.XML)
	}
	return strings.Contains(st.XML, `category="conference"`) || strings.Contains(st.XML, `category='conference'`)
}

// TestGatewayInvitedGroupDiscoIsRoom: the room of a group the user is
// invited to, which the invitation's notice says to join, answers a
// client's disco#info before the join as a room (the plugin's
// join_chat_pattern: a group's ID), so that the client offers the join;
// a phone number still answers as a person's. Before, a group's ID had
// none of the join_chat_prefixes and answered as a contact's: Gajim
// opened a one-to-one chat with it.
func TestGatewayInvitedGroupDiscoIsRoom(t *testing.T) {
	d, _ := startFake(t)
	g, user := gatewayAlice(t, d)
	gid := invitedGroup(d)
	room := g.JID(hexGroup(gid))
	if !discoIsRoom(t, user, room) {
		t.Errorf("the room of a group alice is invited to does not answer disco#info as a room: a client would not offer the join")
	}
	if discoIsRoom(t, user, g.JID("+15550000077")) {
		t.Error("a phone number answers disco#info as a room")
	}
}

// TestGatewayInvitationDeclinedByMUC: a decline (XEP-0045 §7.8.2: a
// muc#user decline sent to the room's bare address) of a group the user
// is invited to declines the invitation on Signal (quitGroup): alice is
// no longer among its pending members, and no room comes. Before, the
// decline went the one-to-one path as a message to a "contact" named
// after the group, and was dropped: only a join with the password
// "decline" declined. A decline of a group alice is in is refused, the
// group untouched.
func TestGatewayInvitationDeclinedByMUC(t *testing.T) {
	d, member := startFake(t)
	g, user := gatewayAlice(t, d)
	gid := invitedGroup(d)
	room := g.JID(hexGroup(gid))
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	decline := func(room, id string) {
		t.Helper()
		if err := user.SendRaw(ctx, `<message to='`+room+`' id='`+id+`'><x xmlns='http://jabber.org/protocol/muc#user'><decline to='`+g.JID(bob)+`'><reason>not for me</reason></decline></x></message>`); err != nil {
			t.Fatal(err)
		}
	}
	decline(room, "d1")
	deadline := time.Now().Add(gatewaytest.Timeout)
	for {
		grp, _ := d.GetGroup(alice, gid)
		if len(grp.Pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the decline did not reach Signal: alice is still invited to %v", grp)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := d.Calls("quitGroup"); n != 1 {
		t.Errorf("quitGroup asked %d times, want 1", n)
	}

	// A group alice is in: refused with an error naming why; she stays.
	in := g.JID(hexGroup(member))
	g.WaitLog("room=" + in)
	decline(in, "d2")
	st := g.Next(user, "the refusal of a decline of a group alice is in", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "error" && gatewaytest.Bare(s.From) == in
	})
	if st.Err == nil || !strings.Contains(st.XML, "leave") {
		t.Errorf("decline of a group alice is in: want an error saying to leave it, got %s", st.XML)
	}
	if grp, _ := d.GetGroup(alice, member); !slices.ContainsFunc(grp.Members, func(m fakesignal.Member) bool { return m.Number == alice }) {
		t.Errorf("alice left the group she declined nothing of: %v", grp)
	}
}
