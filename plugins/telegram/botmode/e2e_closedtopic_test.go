package botmode_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// Through the gateway and a real Prosody: a forum's topic closed on
// Telegram (forum_topic_closed) says so in its room, from whoever closed
// it, and the room refuses a message at once with an error stanza (the
// bot, no admin managing topics, may not post there), nothing sent to
// Telegram; reopened (forum_topic_reopened), it says so and takes
// messages again. The room stayed writable: a message went to Telegram
// and failed there (TOPIC_CLOSED), the service messages were dropped.
func TestGatewayClosedTopicBot(t *testing.T) {
	api := newFakeAPI(t)
	g, user := startGateway(t, api)
	chatJSON := fmt.Sprintf(`"chat":{"id":%d,"type":"supergroup","title":"Forum","is_forum":true}`, groupID)
	from := `"from":{"id":600,"is_bot":false,"first_name":"Owner"}`
	inTopic := `"message_thread_id":20,"is_topic_message":true`
	api.push(fmt.Sprintf(`{"message":{"message_id":20,"date":1700000000,%s,%s,%s,"forum_topic_created":{"name":"Plans","icon_color":0}}}`, chatJSON, from, inTopic))
	room := g.JID(fmt.Sprint(groupID) + "_20")
	g.WaitLog("room=" + room)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := user.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	if self := g.Next(user, "the self-presence", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, `code="110"`)
	}); self.Type == "error" {
		t.Fatalf("join refused: %s", self.XML)
	}
	notice := func(want string) {
		t.Helper()
		got := g.Next(user, want, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && s.Type == "groupchat" && gatewaytest.Bare(s.From) == room && s.Body != ""
		})
		if got.Body != want || !strings.HasSuffix(got.From, "/Owner") {
			t.Fatalf("in the topic's room: %s, want %q from Owner", got.XML, want)
		}
	}
	send := func(body string) xmpptest.Stanza {
		t.Helper()
		id := user.NewID()
		if err := user.SendRaw(ctx, `<message type='groupchat' id='`+id+`' to='`+room+`'><body>`+body+`</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`); err != nil {
			t.Fatal(err)
		}
		return g.Next(user, "the answer to "+body, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && s.ID == id
		})
	}
	sentToTopic := func(text string) bool {
		return slices.ContainsFunc(api.callsOf("sendMessage"), func(c apiCall) bool {
			return c.Params["text"] == text && c.Params["message_thread_id"] == "20"
		})
	}

	api.push(fmt.Sprintf(`{"message":{"message_id":21,"date":1700000001,%s,%s,%s,"forum_topic_closed":{}}}`, chatJSON, from, inTopic))
	notice("Closed the topic: only the forum's admins may post in it now")
	if got := send("hello?"); got.Type != "error" || !strings.Contains(got.XML, "forbidden") {
		t.Fatalf("a message to the closed topic: %s, want a forbidden error", got.XML)
	}
	if sentToTopic("hello?") {
		t.Error("the message to the closed topic went to Telegram")
	}

	api.push(fmt.Sprintf(`{"message":{"message_id":22,"date":1700000002,%s,%s,%s,"forum_topic_reopened":{}}}`, chatJSON, from, inTopic))
	notice("Reopened the topic")
	if got := send("thanks"); got.Type == "error" {
		t.Fatalf("a message to the reopened topic: %s", got.XML)
	}
	deadline := time.Now().Add(gatewaytest.Timeout)
	for !sentToTopic("thanks") {
		if time.Now().After(deadline) {
			t.Fatalf("the message to the reopened topic never reached the Bot API: %v", api.callsOf("sendMessage"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
