package whatsapp_test

import (
	"context"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// A message the user marks as a spoiler (XEP-0382), through Prosody, the
// gateway and the plugin process: a text goes hidden, in WhatsApp's
// spoiler wrapper (field 118, unknown to the pinned whatsmeow: no plain
// text or extended text beside it); a poll so marked ("/poll" with
// <spoiler/>) is refused feature-not-implemented, nothing sent, since no
// network hides a poll. Before, the poll went as a plain poll, its
// question shown to everyone.
func TestEndToEndSpoiler(t *testing.T) {
	g, srv, alice := aliceLoggedIn(t)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	bobJID := g.JID("+" + bob.User)

	if err := alice.SendRaw(ctx, `<message type='chat' id='sp1' to='`+bobJID+`'><body>the butler did it</body><spoiler xmlns='urn:xmpp:spoiler:0'/></message>`); err != nil {
		t.Fatal(err)
	}
	m, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool { return to == bob.String() })
	if err != nil {
		t.Fatal(err)
	}
	if m.GetConversation() != "" || m.GetExtendedTextMessage() != nil || len(m.ProtoReflect().GetUnknown()) == 0 ||
		!strings.Contains(string(m.ProtoReflect().GetUnknown()), "the butler did it") {
		t.Fatalf("the spoiler went as %v, want it in the spoiler wrapper only", m)
	}

	if err := alice.SendRaw(ctx, `<message type='chat' id='sp2' to='`+bobJID+`'><body>/poll Who did it? The butler / The gardener</body><spoiler xmlns='urn:xmpp:spoiler:0'/></message>`); err != nil {
		t.Fatal(err)
	}
	e := g.Next(alice, "the spoiler poll's answer", func(s xmpptest.Stanza) bool { return s.Name == "message" && s.ID == "sp2" })
	if e.Type != "error" || e.Err == nil || e.Err.Condition != "feature-not-implemented" || !strings.Contains(e.Err.Text, "poll") {
		t.Fatalf("a poll marked as a spoiler: want feature-not-implemented, got %s", e.XML)
	}
	g.SendChat(alice, bobJID, "fence")
	if _, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool { return m.GetConversation() == "fence" }); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.SentTo(bob)); n != 2 {
		t.Errorf("%d messages went to bob, want the spoiler and the fence (no poll)", n)
	}
}
