package whatsapp_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// A member who is no admin reacts to an announcement in a community's
// announcement group, through Prosody, the gateway and the plugin
// process: the room is read-only for them (only admins post), but
// WhatsApp's members react there (encrypted with the announcement's
// secret, which the plugin does), so the reaction reaches WhatsApp
// encrypted. In a plain group where only admins post, a reaction is
// refused saying the user may not react there, nothing sent. Before,
// the gateway refused both as posts ("only the group's admins post"):
// the plugin's encrypted reactions never came from a member.
func TestEndToEndAnnouncementReaction(t *testing.T) {
	srv := startRemote(t)
	announce := types.NewJID("120363000000000071", types.GroupServer)
	news := types.NewJID("120363000000000072", types.GroupServer)
	members := []types.GroupParticipant{{JID: me, PhoneNumber: me}, {JID: bob, PhoneNumber: bob, IsAdmin: true}}
	srv.Group(&types.GroupInfo{JID: announce, GroupName: types.GroupName{Name: "Village"}, GroupAnnounce: types.GroupAnnounce{IsAnnounce: true},
		GroupIsDefaultSub: types.GroupIsDefaultSub{IsDefaultSubGroup: true}, Participants: members})
	srv.Group(&types.GroupInfo{JID: news, GroupName: types.GroupName{Name: "News"}, GroupAnnounce: types.GroupAnnounce{IsAnnounce: true}, Participants: members})
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: fakePlugin(t), Name: "whatsapp", Privileged: true,
		PluginConfig: `wafake_socket = "` + srv.Socket + `"`})
	alice := g.User("alice")
	g.WaitReady(alice)
	loginByQR(t, g, srv, alice)
	ctx, cancel := context.WithTimeout(context.Background(), 2*gatewaytest.Timeout)
	defer cancel()

	// react joins chat's room, has bob post id there, and reacts to it
	// from XMPP; it returns the reaction's stanza ID.
	react := func(chat types.JID, id, text string) (room, reactID string) {
		t.Helper()
		room = g.JID(chat.String())
		if err := alice.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
			t.Fatal(err)
		}
		g.Next(alice, "the room's self-presence", func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "110")
		})
		secret := make([]byte, 32)
		rand.Read(secret)
		if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: chat, Sender: bob, IsGroup: true}, ID: types.MessageID(id), Timestamp: time.Now(), PushName: "Bob"},
			&waE2E.Message{Conversation: proto.String(text), MessageContextInfo: &waE2E.MessageContextInfo{MessageSecret: secret}}); err != nil {
			t.Fatal(err)
		}
		post := g.Next(alice, "bob's post", func(s xmpptest.Stanza) bool {
			return s.Name == "message" && s.Type == "groupchat" && gatewaytest.Bare(s.From) == room && s.Body == text
		})
		var ids struct {
			StanzaID []struct {
				ID string `xml:"id,attr"`
			} `xml:"urn:xmpp:sid:0 stanza-id"`
		}
		if err := post.Unmarshal(&ids); err != nil || len(ids.StanzaID) == 0 {
			t.Fatalf("bob's post has no stanza-id (%v): %s", err, post.XML)
		}
		reactID = "r-" + id
		if err := alice.SendRaw(ctx, `<message type='groupchat' to='`+room+`' id='`+reactID+`'><reactions xmlns='urn:xmpp:reactions:0' id='`+ids.StanzaID[0].ID+`'><reaction>🎉</reaction></reactions></message>`); err != nil {
			t.Fatal(err)
		}
		return room, reactID
	}

	react(announce, "ANN1", "Meeting at 8")
	sent, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
		return to == announce.String() && (m.GetEncReactionMessage() != nil || m.GetReactionMessage() != nil)
	})
	if err != nil {
		t.Fatalf("the member's reaction to the announcement: %v", err)
	}
	if enc := sent.GetEncReactionMessage(); enc == nil || enc.GetTargetMessageKey().GetID() != "ANN1" {
		t.Errorf("the reaction sent: %v, want encrypted, to ANN1", sent)
	}

	room, id := react(news, "NEWS1", "Road closed")
	refused := g.Next(alice, "the refusal", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && s.Type == "error"
	})
	if !strings.Contains(refused.XML, `id="`+id+`"`) || !strings.Contains(refused.XML, "react") {
		t.Errorf("the reaction in a group where only admins post: %s, want refused saying the user may not react", refused.XML)
	}
}
