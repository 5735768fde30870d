package bridge_test

import (
	"path/filepath"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/store"
)

// TestReceiptAfterRestart: what the user's client asked of the contact
// (a XEP-0184 receipt, XEP-0333 markers) is kept with the message, so a
// contact's delivery and read of it after a restart of the gateway still
// reach the client; a message that asked for neither still gets neither.
// Before, the asks were in memory only: after the restart nothing came.
func TestReceiptAfterRestart(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoID(t, alice, "asks1", "asks")
	next(t, alice, "delivery receipt", has(`<received xmlns="urn:xmpp:receipts" id="asks1"/>`))
	next(t, alice, "displayed marker", has(`<displayed xmlns="urn:xmpp:chat-markers:0" id="asks1"/>`))
	raw(t, alice, `<message type='chat' id='plain1' to='bob@`+domain+`'><body>plain</body><origin-id xmlns='urn:xmpp:sid:0' id='plain1'/></message>`)
	next(t, alice, "echo of plain", func(s xmpptest.Stanza) bool { return s.Body == "plain" })

	s.stop()
	remote := map[string]string{}
	db, err := store.Open(filepath.Join(s.dir, "data", "passerelle.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"asks1", "plain1"} {
		ref, err := db.LookupXMPP("echo", "alice", "bob", id)
		if err != nil {
			db.Close()
			t.Fatalf("%s not in the message map: %v", id, err)
		}
		remote[id] = ref.RemoteID
	}
	db.Close()
	s.start()
	s.waitGateway(alice)

	// The contact gets and reads the message that asked nothing first:
	// the first receipt shown must be the other's.
	for _, kind := range []string{"KIND_DELIVERED", "KIND_READ"} {
		for _, id := range []string{"plain1", "asks1"} {
			sendChat(t, alice, "bob@"+domain, `net-event {"receipt":{"kind":"`+kind+`","messageIds":["`+remote[id]+`"]}}`)
		}
	}
	got := next(t, alice, "delivery receipt after the restart", has(`<received xmlns="urn:xmpp:receipts"`))
	if !has(`id="asks1"`)(got) {
		t.Fatalf("after the restart, want the receipt of asks1, got %s", got.XML)
	}
	got = next(t, alice, "displayed marker after the restart", has(`<displayed xmlns="urn:xmpp:chat-markers:0"`))
	if !has(`id="asks1"`)(got) {
		t.Fatalf("after the restart, want the marker of asks1, got %s", got.XML)
	}
}
