package telegram_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A forum through the gateway and a real Prosody: each topic is a room
// whose address is its chat ID as written (-100900_2@, no escape); a
// message of topic 2 comes into its room as written, one sent there goes
// to topic 2; General is the forum's own room; a topic created on
// Telegram is announced as a new room.
func TestGatewayForumTopics(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	srv.AddChannel(tgfake.Channel{ID: 900, Title: "Guild", Forum: true, Members: []int64{dora.ID, eve.ID, frank.ID}, Creator: eve.ID})
	maps := srv.CreateTopic(900, eve.ID, "Maps")
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{})

	topicRoom, general := g.JID("-100900_2"), g.JID("-100900")
	if !strings.HasPrefix(topicRoom, "-100900_2@") {
		t.Fatalf("topic room %s: want the chat ID as the localpart", topicRoom)
	}
	g.WaitLog("room=" + topicRoom) // announced from the chat list
	ctx := ctxT(t)
	join := func(room string) {
		t.Helper()
		if err := d.SendRaw(ctx, `<presence to='`+room+`/dora'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
			t.Fatal(err)
		}
		self := g.Next(d, "self-presence in "+room, func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, `code="110"`)
		})
		if self.Type == "error" {
			t.Fatalf("join %s: %s", room, self.XML)
		}
	}
	join(topicRoom)
	join(general)
	fp := &tg.PeerChannel{ChannelID: 900}
	srv.Send(eve.ID, fp, "north is up", tgfake.WithTopic(maps))
	got := g.Next(d, "eve's topic message", func(s xmpptest.Stanza) bool { return s.Name == "message" && s.Type == "groupchat" && s.Body != "" })
	if gatewaytest.Bare(got.From) != topicRoom || got.Body != "north is up" {
		t.Fatalf("topic message: %s, want %q from %s", got.XML, "north is up", topicRoom)
	}
	srv.Send(eve.ID, fp, "welcome all")
	got = g.Next(d, "eve's General message", func(s xmpptest.Stanza) bool { return s.Name == "message" && s.Type == "groupchat" && s.Body != "" })
	if gatewaytest.Bare(got.From) != general || got.Body != "welcome all" {
		t.Fatalf("General message: %s, want it in %s", got.XML, general)
	}

	id := d.NewID()
	if err := d.SendRaw(ctx, `<message type='groupchat' id='`+id+`' to='`+topicRoom+`'><body>noted</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`); err != nil {
		t.Fatal(err)
	}
	g.Next(d, "the reflection in the topic's room", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == topicRoom && s.Body == "noted"
	})
	var sent *tg.Message
	for _, m := range srv.ChannelMessages(900) {
		if m.Message == "noted" {
			sent = m
		}
	}
	if sent == nil {
		t.Fatal("the topic's message never reached Telegram")
	}
	if h, ok := sent.ReplyTo.(*tg.MessageReplyHeader); !ok || !h.ForumTopic || h.ReplyToMsgID != maps {
		t.Errorf("sent with reply_to %v: want topic %d", sent.ReplyTo, maps)
	}

	// A topic created on Telegram: a new room, announced.
	boats := srv.CreateTopic(900, frank.ID, "Boats")
	g.WaitLog("room=" + g.JID("-100900_"+strconv.Itoa(boats)))
}
