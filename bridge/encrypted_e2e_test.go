package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestEncryptedMessageRefused: an end-to-end encrypted message (OMEMO
// here, or OpenPGP, OTR) to a contact is answered not-acceptable, saying
// to send it unencrypted, and nothing reaches the network: its fallback
// body ("I sent you an OMEMO encrypted message...") went to the contact
// as the user's words. An encrypted message without a body (a key
// exchange) gets no answer.
func TestEncryptedMessageRefused(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	raw(t, alice, `<message type='chat' id='k1' to='`+bob+`'><encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><key rid='2'>AAAA</key><iv>BBBB</iv></header></encrypted><store xmlns='urn:xmpp:hints'/></message>`)
	raw(t, alice, `<message type='chat' id='e1' to='`+bob+`'><encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><key rid='2'>AAAA</key><iv>BBBB</iv></header><payload>CCCC</payload></encrypted><encryption xmlns='urn:xmpp:eme:0' namespace='eu.siacs.conversations.axolotl' name='OMEMO'/><body>I sent you an OMEMO encrypted message but your client doesn't seem to support that.</body><store xmlns='urn:xmpp:hints'/></message>`)
	e := next(t, alice, "an answer", func(s xmpptest.Stanza) bool { return s.Type == "error" || s.Body != "" })
	if e.Type != "error" || e.ID != "e1" || e.Err == nil || e.Err.Condition != "not-acceptable" || !strings.Contains(e.Err.Text, "unencrypted") {
		t.Fatalf("encrypted message: %s, want not-acceptable saying to send it unencrypted", e.XML)
	}
	// The next text from bob is this one's echo: nothing of the
	// encrypted ones went.
	echoOK(t, alice, "plain", timeout)
}
