package whatsapp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// A group's admin removes the user, then adds them back (WhatsApp's
// <remove> of the user, then <create reason="add">), through the plugin
// process, the gateway and a real Prosody: the room says the user was
// removed, then is the same room again (the same JID, joinable, not
// refused as a group left), where the members' messages go on.
func TestEndToEndRemovedAndAddedBack(t *testing.T) {
	srv := startRemote(t)
	srv.Group(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Builders"},
		Participants: []types.GroupParticipant{{JID: me, PhoneNumber: me}, {JID: bob, PhoneNumber: bob, IsAdmin: true}}})
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: fakePlugin(t), Name: "whatsapp", Privileged: true,
		PluginConfig: `wafake_socket = "` + srv.Socket + `"`})
	alice := g.User("alice")
	g.WaitReady(alice)
	loginByQR(t, g, srv, alice)
	ctx, cancel := context.WithTimeout(context.Background(), 2*gatewaytest.Timeout)
	defer cancel()
	room := g.JID(group.String())
	join := func(what string) {
		t.Helper()
		if err := alice.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
			t.Fatal(err)
		}
		self := g.Next(alice, what, func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && gatewaytest.Bare(s.From) == room && s.Type != "unavailable" && (s.Type == "error" || strings.Contains(s.XML, "110"))
		})
		if self.Type == "error" {
			t.Fatalf("%s: %s", what, self.XML)
		}
	}
	say := func(id, text string) {
		t.Helper()
		if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: bob, IsGroup: true}, ID: types.MessageID(id), Timestamp: time.Now(), PushName: "Bob"},
			&waE2E.Message{Conversation: proto.String(text)}); err != nil {
			t.Fatal(err)
		}
	}
	join("the room's self-presence")
	say("BF1", "before")
	g.Next(alice, "bob's message before", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "groupchat" && gatewaytest.Bare(s.From) == room && s.Body == "before"
	})

	srv.RemoveSelf(group, bob)
	g.Next(alice, "the removal", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.Type == "unavailable" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "110")
	})

	srv.AddSelf(group)
	// The room is the group's again: joining it is no longer refused as
	// a group left. It may take the gateway a moment to hear of the add.
	deadline := time.Now().Add(gatewaytest.Timeout)
	for {
		if err := alice.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
			t.Fatal(err)
		}
		self := g.Next(alice, "the self-presence after the add", func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && gatewaytest.Bare(s.From) == room && s.Type != "unavailable" && (s.Type == "error" || strings.Contains(s.XML, "110"))
		})
		if self.Type != "error" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the room refused after the add: %s", self.XML)
		}
		time.Sleep(200 * time.Millisecond)
	}
	say("AF1", "after")
	g.Next(alice, "bob's message after", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "groupchat" && gatewaytest.Bare(s.From) == room && s.Body == "after"
	})
}
