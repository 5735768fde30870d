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

// "/timer" alone and "/pins" in a one-to-one chat, through a real
// Prosody, the gateway and the plugin process on the remote fake: the
// timer is not known before anything says it (not "off"), then Bob's
// change; the pins are the user's own "/pin" and Bob's pin, oldest
// first, each answered in reply to its message.
func TestEndToEndChatQueries(t *testing.T) {
	g, srv, alice := aliceLoggedIn(t)
	bobJID := g.JID("+" + bob.User)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := alice.EnableCarbons(ctx); err != nil { // the user's pin notice is a carbon
		t.Fatal(err)
	}
	say := func(body, replyTo string) {
		t.Helper()
		reply := ""
		if replyTo != "" {
			reply = `<reply xmlns='urn:xmpp:reply:0' to='` + bobJID + `' id='` + replyTo + `'/>`
		}
		if err := alice.SendRaw(ctx, `<message type='chat' id='`+alice.NewID()+`' to='`+bobJID+`'><body>`+body+`</body>`+reply+`</message>`); err != nil {
			t.Fatal(err)
		}
	}
	answer := func(text string) xmpptest.Stanza {
		t.Helper()
		return g.Next(alice, "the answer "+text, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && strings.Contains(s.Body, text)
		})
	}
	repliesTo := func(s xmpptest.Stanza, id string) {
		t.Helper()
		if !strings.Contains(s.XML, `<reply xmlns="urn:xmpp:reply:0"`) || !strings.Contains(s.XML, `id="`+id+`"`) {
			t.Errorf("%q does not reply to %s: %s", s.Body, id, s.XML)
		}
	}

	say("/timer", "")
	answer("does not say whether messages in this chat disappear")
	set := time.Now()
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: "TIMER1", Timestamp: set, PushName: "Bob"},
		&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_EPHEMERAL_SETTING.Enum(),
			EphemeralExpiration: proto.Uint32(86400), EphemeralSettingTimestamp: proto.Int64(set.Unix())}}); err != nil {
		t.Fatal(err)
	}
	answer("Disappearing messages turned on")
	say("/timer", "")
	answer("Disappearing messages in this chat: 1 day")

	say("/pins", "")
	answer("No pinned message seen in this chat. WhatsApp tells of pins only as they are made")
	var ids []string
	for _, m := range []string{"PINME1", "PINME2"} {
		info, msg := incoming(bob, m, "pin "+m)
		if err := srv.Receive(info, msg); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, g.NextMessage(alice, bobJID).ID)
	}
	say("/pin", ids[0])
	if _, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
		return m.GetPinInChatMessage().GetKey().GetID() == "PINME1"
	}); err != nil {
		t.Fatal(err)
	}
	g.Next(alice, "the user's pin notice", func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, "📌 Pinned a message") })
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: "BOBPIN", Timestamp: time.Now(), PushName: "Bob"},
		&waE2E.Message{PinInChatMessage: &waE2E.PinInChatMessage{
			Key:  &waCommon.MessageKey{RemoteJID: proto.String(bob.String()), ID: proto.String("PINME2"), FromMe: proto.Bool(true)},
			Type: waE2E.PinInChatMessage_PIN_FOR_ALL.Enum(), SenderTimestampMS: proto.Int64(time.Now().Add(time.Second).UnixMilli())},
			MessageContextInfo: &waE2E.MessageContextInfo{MessageAddOnDurationInSecs: proto.Uint32(86400)}}); err != nil {
		t.Fatal(err)
	}
	answer("📌 Pinned a message")
	say("/pins", "")
	repliesTo(answer("Pinned (1 of 2)"), ids[0])
	repliesTo(answer("Pinned (2 of 2)"), ids[1])
	for _, m := range srv.SentTo(bob) {
		if strings.Contains(m.GetConversation()+m.GetExtendedTextMessage().GetText(), "/") {
			t.Errorf("a query sent to Bob as a message: %v", m)
		}
	}
}

// "/pins" (and "/timer") in a room with WhatsApp out of reach (the
// connection dropped, whatsmeow's Disconnected; the group query then
// fails, not connected), through a real Prosody, the gateway and the
// plugin process on the remote fake: answered from what the plugin
// keeps, Bob's pin in reply to his message, the group's timer. (Before:
// "WhatsApp did not answer; try again later.")
func TestEndToEndPinsOffline(t *testing.T) {
	srv := startRemote(t)
	srv.Group(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Hikers"},
		GroupEphemeral: types.GroupEphemeral{IsEphemeral: true, DisappearingTimer: 604800},
		Participants:   []types.GroupParticipant{{JID: me, PhoneNumber: me}, {JID: bob, PhoneNumber: bob, IsAdmin: true}}})
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: fakePlugin(t), Name: "whatsapp", Privileged: true,
		PluginConfig: `wafake_socket = "` + srv.Socket + `"`})
	alice := g.User("alice")
	g.WaitReady(alice)
	loginByQR(t, g, srv, alice)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	room := g.JID(group.String())
	if err := alice.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	g.Next(alice, "the room's self-presence", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "110")
	})
	inRoom := func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "groupchat" && gatewaytest.Bare(s.From) == room
	}
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: bob, IsGroup: true}, ID: "PLAN1", Timestamp: time.Now(), PushName: "Bob"},
		&waE2E.Message{Conversation: proto.String("the plan")}); err != nil {
		t.Fatal(err)
	}
	g.Next(alice, "Bob's message", func(s xmpptest.Stanza) bool { return inRoom(s) && s.Body == "the plan" })
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: bob, IsGroup: true}, ID: "BOBPIN", Timestamp: time.Now(), PushName: "Bob"},
		&waE2E.Message{PinInChatMessage: &waE2E.PinInChatMessage{
			Key:  &waCommon.MessageKey{RemoteJID: proto.String(group.String()), ID: proto.String("PLAN1"), FromMe: proto.Bool(false), Participant: proto.String(bob.String())},
			Type: waE2E.PinInChatMessage_PIN_FOR_ALL.Enum(), SenderTimestampMS: proto.Int64(time.Now().UnixMilli())},
			MessageContextInfo: &waE2E.MessageContextInfo{MessageAddOnDurationInSecs: proto.Uint32(86400)}}); err != nil {
		t.Fatal(err)
	}
	g.Next(alice, "Bob's pin notice", func(s xmpptest.Stanza) bool { return inRoom(s) && strings.Contains(s.Body, "📌 Pinned a message") })

	srv.Unreachable()
	g.Next(alice, "the transport's word that WhatsApp is out of reach", func(s xmpptest.Stanza) bool {
		return strings.Contains(s.XML, "disconnected from WhatsApp")
	})
	ask := func(body string) xmpptest.Stanza {
		t.Helper()
		if err := alice.SendRaw(ctx, `<message type='groupchat' id='`+alice.NewID()+`' to='`+room+`'><body>`+body+`</body></message>`); err != nil {
			t.Fatal(err)
		}
		return g.Next(alice, "the answer to "+body, func(s xmpptest.Stanza) bool {
			return inRoom(s) && (strings.Contains(s.Body, "Pinned (") || strings.Contains(s.Body, "did not answer") ||
				strings.Contains(s.Body, "No pinned message seen") || strings.Contains(s.Body, "isappearing messages") ||
				strings.Contains(s.Body, "does not say"))
		})
	}
	if a := ask("/pins"); !strings.Contains(a.Body, "Pinned (1 of 1)") || !strings.Contains(a.XML, `<reply xmlns="urn:xmpp:reply:0"`) {
		t.Errorf("/pins with WhatsApp out of reach: %s, want Bob's pin in reply to his message", a.XML)
	}
	// The pins' summary says that WhatsApp lists no pins and was not
	// asked now (Chat.pins_seen_only, Chat.stale).
	g.Next(alice, "the pins' summary", func(s xmpptest.Stanza) bool {
		return inRoom(s) && strings.Contains(s.Body, "1 message pinned in Hikers. WhatsApp tells of pins only as they are made") &&
			strings.Contains(s.Body, "(As last known: WhatsApp could not be asked now.)")
	})
	if a := ask("/timer"); !strings.Contains(a.Body, "Disappearing messages in Hikers: 1 week") || !strings.Contains(a.Body, "(As last known: WhatsApp could not be asked now.)") {
		t.Errorf("/timer with WhatsApp out of reach: %s, want the group's week, said to be as last known", a.XML)
	}
	if err := alice.SendRaw(ctx, `<message type='groupchat' id='`+alice.NewID()+`' to='`+room+`'><body>/link</body></message>`); err != nil {
		t.Fatal(err)
	}
	// The plugin keeps no link: not known is no "none".
	g.Next(alice, "the answer to /link", func(s xmpptest.Stanza) bool {
		return inRoom(s) && strings.Contains(s.Body, "WhatsApp could not be asked for the invite link of Hikers; try again later.")
	})
}
