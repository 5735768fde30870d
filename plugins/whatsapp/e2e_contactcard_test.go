package whatsapp_test

import (
	"context"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"

	"passerelle.im/passerelle/internal/gatewaytest"
)

// A contact card shared from an XMPP client (a vCard file uploaded to
// the user's server, then linked, as Conversations shares what Android's
// contacts give it), through Prosody, the gateway and the plugin
// process: it reaches WhatsApp as WhatsApp's contact card, with its name
// and the vCard, and the text typed with it after it. It went as a
// document ("Bob.vcf"), a file to open rather than a contact.
func TestEndToEndContactCard(t *testing.T) {
	srv := startRemote(t)
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: fakePlugin(t), Name: "whatsapp", Privileged: true, HTTPUpload: true,
		PluginConfig: `wafake_socket = "` + srv.Socket + `"`})
	alice := g.User("alice")
	g.WaitReady(alice)
	srv.Contact(bob, "Bob Builder")
	loginByQR(t, g, srv, alice)
	bobJID := g.JID("+33622222222")
	g.WaitRoster(alice, "got Bob", func(m map[string]gatewaytest.RosterItem) bool { return m[bobJID].Name == "Bob Builder" })

	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	card := "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Builder;Bob;;;\r\nFN:Bob Builder\r\nTEL;CELL:+33 6 22 22 22 22\r\nEND:VCARD\r\n"
	slot, err := alice.Upload(ctx, "upload.localhost", "Bob.vcf", "text/x-vcard", []byte(card))
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.SendRaw(ctx, `<message type='chat' to='`+bobJID+`' id='vc1'><body>`+slot.GetURL+`</body><x xmlns='jabber:x:oob'><url>`+slot.GetURL+`</url></x></message>`); err != nil {
		t.Fatal(err)
	}
	sent, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
		return m.GetContactMessage() != nil || m.GetDocumentMessage() != nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := sent.GetContactMessage(); c.GetDisplayName() != "Bob Builder" || c.GetVcard() != card {
		t.Errorf("the card sent: %v", sent)
	}
}
