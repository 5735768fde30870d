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

// A group admin deletes another member's message for everyone (a REVOKE
// from the admin naming the member's message), through the plugin
// process, the gateway and a real Prosody: the room shows it as a
// moderation (XEP-0425) by the admin's occupant, which clients apply
// where they drop a retraction from someone other than the author.
func TestEndToEndAdminRevoke(t *testing.T) {
	srv := startRemote(t)
	dave := types.NewJID("33644444444", types.DefaultUserServer)
	srv.Group(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Builders"},
		Participants: []types.GroupParticipant{{JID: me, PhoneNumber: me}, {JID: bob, PhoneNumber: bob, IsAdmin: true}, {JID: dave, PhoneNumber: dave}}})
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: fakePlugin(t), Name: "whatsapp", Privileged: true,
		PluginConfig: `wafake_socket = "` + srv.Socket + `"`})
	alice := g.User("alice")
	g.WaitReady(alice)
	loginByQR(t, g, srv, alice)
	ctx, cancel := context.WithTimeout(context.Background(), 2*gatewaytest.Timeout)
	defer cancel()
	room := g.JID(group.String())
	if err := alice.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	self := g.Next(alice, "the room's self-presence", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && (s.Type == "error" || strings.Contains(s.XML, "110"))
	})
	if self.Type == "error" {
		t.Fatalf("join: %s", self.XML)
	}
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: dave, IsGroup: true}, ID: "DV1", Timestamp: time.Now(), PushName: "Dave"},
		&waE2E.Message{Conversation: proto.String("buy my crypto")}); err != nil {
		t.Fatal(err)
	}
	spam := g.Next(alice, "dave's message", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "groupchat" && gatewaytest.Bare(s.From) == room && s.Body == "buy my crypto"
	})
	// The room's stanza-id names the message in a moderation. Parsed, not
	// searched as text: Prosody writes its attributes in any order.
	var ids struct {
		StanzaID []struct {
			ID string `xml:"id,attr"`
		} `xml:"urn:xmpp:sid:0 stanza-id"`
	}
	if err := spam.Unmarshal(&ids); err != nil || len(ids.StanzaID) == 0 {
		t.Fatalf("dave's message has no stanza-id (%v): %s", err, spam.XML)
	}
	sid := ids.StanzaID[0].ID
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: bob, IsGroup: true}, ID: "RV1", Timestamp: time.Now(), PushName: "Bob"},
		&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_REVOKE.Enum(),
			Key: &waCommon.MessageKey{RemoteJID: proto.String(group.String()), ID: proto.String("DV1"), FromMe: proto.Bool(false), Participant: proto.String(dave.String())}}}); err != nil {
		t.Fatal(err)
	}
	mod := g.Next(alice, "the admin's deletion", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "urn:xmpp:message-retract")
	})
	if !strings.Contains(mod.XML, "urn:xmpp:message-moderate") || !strings.Contains(mod.XML, `id="`+sid+`"`) {
		t.Fatalf("the admin's deletion: want a moderation of %s, got %s", sid, mod.XML)
	}
}
