package signal_test

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Through the gateway and Prosody: Note to Self is in the roster, named
// so, at the user's own number's address; a note written on the phone
// reaches the user's clients as their own (a sent carbon to it), and one
// sent to it from XMPP reaches signal-cli's note to self.
func TestGatewayNoteToSelf(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Prosody")
	}
	g, user, d := startLoggedIn(t)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := user.EnableCarbons(ctx); err != nil {
		t.Fatal(err)
	}
	selfJID := g.JID(alice)
	g.WaitRoster(user, "Note to Self in the roster", func(m map[string]gatewaytest.RosterItem) bool {
		return m[selfJID].Name == "Note to Self"
	})

	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{SentMessage: &fakesignal.SentMessage{
		DestinationNumber: alice, DestinationUUID: aliceACI, DataMessage: fakesignal.DataMessage{Message: fakesignal.Text("buy milk")}}}})
	s := g.Next(user, "the phone's note", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && strings.Contains(s.XML, "buy milk")
	})
	if !strings.Contains(s.XML, "urn:xmpp:carbons:2") || !strings.Contains(s.XML, selfJID) {
		t.Fatalf("the phone's note came as %s, want a sent carbon to %s", s.XML, selfJID)
	}

	g.SendChat(user, selfJID, "call mum")
	waitSent(t, d, alice, "call mum")
}
