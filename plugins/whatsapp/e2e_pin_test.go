package whatsapp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// Pinned messages through a real Prosody, the gateway and the plugin
// process on the remote fake. The user's "/pin" in a reply (XEP-0461)
// to Bob's message is no message to Bob but WhatsApp's pin of it (a
// PinInChatMessage naming it), and the user's clients see its notice
// once, as the user's (a carbon), a reply to the message; Bob's own pin
// of it is his notice, a reply to it too. "/unpin" the same.
func TestEndToEndPin(t *testing.T) {
	g, srv, alice := aliceLoggedIn(t)
	bobJID := g.JID("+" + bob.User)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := alice.EnableCarbons(ctx); err != nil {
		t.Fatal(err)
	}
	info, msg := incoming(bob, "PINME", "pin me")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	theirs := g.NextMessage(alice, bobJID)
	if theirs.Body != "pin me" || theirs.ID == "" {
		t.Fatalf("Bob's message: %s", theirs.XML)
	}
	command := func(body string) {
		t.Helper()
		if err := alice.SendRaw(ctx, `<message type='chat' id='`+alice.NewID()+`' to='`+bobJID+`'><body>`+body+`</body>`+
			`<reply xmlns='urn:xmpp:reply:0' to='`+bobJID+`' id='`+theirs.ID+`'/></message>`); err != nil {
			t.Fatal(err)
		}
	}
	repliesTo := func(s xmpptest.Stanza) bool {
		return strings.Contains(s.XML, `<reply xmlns="urn:xmpp:reply:0"`) && strings.Contains(s.XML, `id="`+theirs.ID+`"`)
	}
	pinSent := func(typ waE2E.PinInChatMessage_Type) {
		t.Helper()
		sent, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
			return to == bob.String() && m.GetPinInChatMessage().GetType() == typ
		})
		if err != nil {
			t.Fatalf("no %s sent to Bob: %v", typ, err)
		}
		if k := sent.GetPinInChatMessage().GetKey(); k.GetID() != "PINME" || k.GetRemoteJID() != bob.String() || k.GetFromMe() {
			t.Errorf("the %s names %v, want Bob's PINME in his chat", typ, k)
		}
	}

	command("/pin")
	pinSent(waE2E.PinInChatMessage_PIN_FOR_ALL)
	mine := g.Next(alice, "the user's pin notice", func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, "📌 Pinned a message") })
	if !sentByAlice(mine, bobJID) || !repliesTo(mine) {
		t.Errorf("the user's pin notice: %s, want a carbon of alice's replying to %s", mine.XML, theirs.ID)
	}

	// Bob pins it on his phone, then unpins it.
	pin := func(id string, typ waE2E.PinInChatMessage_Type) {
		t.Helper()
		if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: types.MessageID(id), Timestamp: time.Now(), PushName: "Bob"},
			&waE2E.Message{PinInChatMessage: &waE2E.PinInChatMessage{
				Key:  &waCommon.MessageKey{RemoteJID: proto.String(bob.String()), ID: proto.String("PINME"), FromMe: proto.Bool(true)},
				Type: typ.Enum(), SenderTimestampMS: proto.Int64(time.Now().UnixMilli())},
				MessageContextInfo: &waE2E.MessageContextInfo{MessageAddOnDurationInSecs: proto.Uint32(86400)}}); err != nil {
			t.Fatal(err)
		}
	}
	pin("BOBPIN1", waE2E.PinInChatMessage_PIN_FOR_ALL)
	// (The body quotes the message, XEP-0461's fallback, before the text.)
	if n := g.NextMessage(alice, bobJID); !strings.HasSuffix(n.Body, "\n📌 Pinned a message") || !repliesTo(n) {
		t.Errorf("Bob's pin notice: %s, want one replying to %s", n.XML, theirs.ID)
	}

	command("/unpin")
	pinSent(waE2E.PinInChatMessage_UNPIN_FOR_ALL)
	mine = g.Next(alice, "the user's unpin notice", func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, "Unpinned a message") })
	if !sentByAlice(mine, bobJID) || !repliesTo(mine) {
		t.Errorf("the user's unpin notice: %s", mine.XML)
	}

	// Bob's next message comes after all of that: each notice was
	// shown once, and no command went to Bob as a message.
	info, msg = incoming(bob, "AFTER1", "after the pins")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	if got := g.NextMessage(alice, bobJID); got.Body != "after the pins" {
		t.Fatalf("after the pins: %s", got.XML)
	}
	for _, s := range alice.Pending() {
		if strings.Contains(s.XML, "inned a message") || s.Type == "error" {
			t.Errorf("after the notices: %s", s.XML)
		}
	}
	pins := 0
	for _, m := range srv.SentTo(bob) {
		if m.GetPinInChatMessage() != nil {
			pins++
		}
		if strings.Contains(m.GetConversation()+m.GetExtendedTextMessage().GetText(), "pin") {
			t.Errorf("a pin command sent to Bob as a message: %v", m)
		}
	}
	if pins != 2 {
		t.Errorf("%d pins sent to Bob, want the pin and the unpin", pins)
	}
}
