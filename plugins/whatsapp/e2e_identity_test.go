package whatsapp_test

import (
	"strings"
	"testing"
	"time"
)

// A contact's security code changes (WhatsApp's encrypt notification,
// through whatsmeow in the plugin process): the user's client gets the
// notice from the contact, through the gateway and a real Prosody.
// Before, whatsmeow's IdentityChange was ignored and nothing was said.
func TestEndToEndIdentityChange(t *testing.T) {
	g, srv, alice := aliceLoggedIn(t)
	srv.IdentityChanged(bob, time.Now().Add(-time.Minute))
	got := g.NextMessage(alice, g.JID("+"+bob.User))
	if !strings.Contains(got.Body, "security code with") || !strings.Contains(got.Body, "changed") {
		t.Fatalf("the notice: %s", got.XML)
	}
}
