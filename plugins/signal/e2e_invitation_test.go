package signal_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// isInvite reports whether st is a mediated invitation (XEP-0045
// §7.8.2) from the room room.
func isInvite(room string) func(xmpptest.Stanza) bool {
	return func(st xmpptest.Stanza) bool {
		return st.Name == "message" && st.Type != "error" && gatewaytest.Bare(st.From) == room &&
			strings.Contains(st.XML, "http://jabber.org/protocol/muc#user") && strings.Contains(st.XML, "<invite")
	}
}

// TestGatewayInvitationShown: bob invites alice to a Signal group; her
// XMPP client gets the group's room inviting her (a XEP-0045 mediated
// invitation from the room's address, naming bob's puppet as the
// inviter and the group), once: the phone's group list naming the same
// invitation again brings no second one. Her client's decline of it,
// sent to the room as Gajim does, declines it on Signal. Before, the
// invitation came only as a text in bob's chat, which no client could
// offer to accept or decline.
func TestGatewayInvitationShown(t *testing.T) {
	d, _ := startFake(t)
	g, user := gatewayAlice(t, d)
	gid := invitedGroup(d)
	room := g.JID(hexGroup(gid))
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "UPDATE"}}})
	st := g.Next(user, "the invitation from the group's room", isInvite(room))
	if !strings.Contains(st.XML, `from="`+g.JID(bob)+`"`) || !strings.Contains(st.XML, "Book club") {
		t.Errorf("the invitation: want bob's puppet as the inviter and the group's name, got %s", st.XML)
	}

	// Told once: the group list naming it again brings none.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{Type: "GROUPS_SYNC"}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("after the list")}})
	if st := g.Next(user, "bob's message after the list", func(st xmpptest.Stanza) bool {
		return isInvite(room)(st) || st.Body == "after the list"
	}); st.Body != "after the list" {
		t.Fatalf("the invitation came a second time: %s", st.XML)
	}

	// Declined from the client: the decline goes to the room.
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := user.SendRaw(ctx, `<message to='`+room+`' id='dec'><x xmlns='http://jabber.org/protocol/muc#user'><decline to='`+g.JID(bob)+`'/></x></message>`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(gatewaytest.Timeout)
	for d.Calls("quitGroup") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the decline of the invitation did not reach Signal")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
