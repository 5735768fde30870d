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

// Keeping a disappearing message in the chat (WhatsApp's "keep", a
// KeepInChatMessage) through a real Prosody, the gateway and the plugin
// process on the remote fake. Bob's chat has a 4-second timer (WhatsApp
// offers a day at least: the gateway does not care); of his two
// messages under it, he keeps both, then undoes the keep of the second.
// The first is not retracted after its deadline; the second is, at its
// time plus the chat's timer. Nothing is shown for the keeps.
func TestEndToEndKeepInChat(t *testing.T) {
	g, srv, alice := aliceLoggedIn(t)
	bobJID := g.JID("+" + bob.User)
	const secs = 4
	from := func(id string, at time.Time) types.MessageInfo {
		return types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: types.MessageID(id), Timestamp: at, PushName: "Bob"}
	}
	receive := func(info types.MessageInfo, msg *waE2E.Message) {
		t.Helper()
		if err := srv.Receive(info, msg); err != nil {
			t.Fatal(err)
		}
	}
	set := time.Now().Truncate(time.Second)
	receive(from("TIMER1", set), &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_EPHEMERAL_SETTING.Enum(),
		EphemeralExpiration: proto.Uint32(secs), EphemeralSettingTimestamp: proto.Int64(set.Unix())}})
	if got := g.NextMessage(alice, bobJID); !strings.HasPrefix(got.Body, "Disappearing messages turned on") {
		t.Fatalf("Bob's timer: %s", got.XML)
	}
	disappearing := func(text string) *waE2E.Message {
		return &waE2E.Message{EphemeralMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text: proto.String(text), ContextInfo: &waE2E.ContextInfo{Expiration: proto.Uint32(secs)}}}}}
	}
	keep := func(id, target string, kt waE2E.KeepType) {
		t.Helper()
		receive(from(id, time.Now()), &waE2E.Message{KeepInChatMessage: &waE2E.KeepInChatMessage{
			Key:      &waCommon.MessageKey{RemoteJID: proto.String(bob.String()), ID: proto.String(target), FromMe: proto.Bool(true)},
			KeepType: kt.Enum(), TimestampMS: proto.Int64(time.Now().UnixMilli())}})
	}

	// The kept message's deadline is a second before the other's, so
	// that the other's retraction comes after it.
	at := time.Now().Truncate(time.Second) // WhatsApp's times are whole seconds
	receive(from("KEPT1", at.Add(-time.Second)), disappearing("kept"))
	kept := g.NextMessage(alice, bobJID)
	receive(from("UNKEPT1", at), disappearing("kept, then not"))
	unkept := g.NextMessage(alice, bobJID)
	if kept.Body != "kept" || unkept.Body != "kept, then not" {
		t.Fatalf("Bob's messages: %s, %s", kept.XML, unkept.XML)
	}
	keep("K1", "KEPT1", waE2E.KeepType_KEEP_FOR_ALL)
	keep("K2", "UNKEPT1", waE2E.KeepType_KEEP_FOR_ALL)
	keep("K3", "UNKEPT1", waE2E.KeepType_UNDO_KEEP_FOR_ALL)

	retract := func(id string) string { return `<retract xmlns="urn:xmpp:message-retract:1" id="` + id + `"` }
	deadline := at.Add(secs * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(5*time.Second))
	defer cancel()
	if _, err := alice.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.Name == "message" && strings.Contains(s.XML, retract(unkept.ID))
	}); err != nil {
		t.Fatalf("the message whose keep was undone is not retracted by %s: %v", deadline.Add(5*time.Second).Format(time.StampMilli), err)
	}
	if early := time.Until(deadline); early > 100*time.Millisecond {
		t.Errorf("the message whose keep was undone was retracted %s before its deadline", early)
	}

	// A second more, then Bob's next message: the kept one stays, and
	// nothing was shown for the keeps.
	time.Sleep(time.Second)
	info, msg := incoming(bob, "AFTER1", "after the keeps")
	receive(info, msg)
	g.Next(alice, "Bob's message after the keeps", func(s xmpptest.Stanza) bool { return s.Name == "message" && s.Body == "after the keeps" })
	for _, s := range alice.Pending() {
		if strings.Contains(s.XML, retract(kept.ID)) {
			t.Errorf("the kept message was retracted: %s", s.XML)
		}
		if s.Name == "message" && gatewaytest.Bare(s.From) == bobJID && s.Body != "" && !strings.Contains(s.XML, "message-retract") {
			t.Errorf("shown for a keep: %s", s.XML)
		}
	}
}
