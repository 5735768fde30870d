package botmode_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// End to end: the gateway, a real Prosody and this package's connector
// as the plugin process. A bot login by ad-hoc command, a message each
// way, and a gateway restart with a message arriving meanwhile: nothing
// lost, nothing repeated.
func TestGatewayEndToEnd(t *testing.T) {
	api := newFakeAPI(t)
	g, user := startGateway(t, api)
	person := g.JID("501")
	api.push(privateMsg(1, "hello from Telegram", ""))
	if got := g.NextMessage(user, person); got.Body != "hello from Telegram" {
		t.Fatalf("from Telegram: %s", got.XML)
	}
	g.SendChat(user, person, "hello from XMPP")
	deadline := time.Now().Add(gatewaytest.Timeout)
	for !slices.ContainsFunc(api.callsOf("sendMessage"), func(c apiCall) bool {
		return c.Params["chat_id"] == "501" && c.Params["text"] == "hello from XMPP"
	}) {
		if time.Now().After(deadline) {
			t.Fatalf("the XMPP message never reached the Bot API: %v", api.callsOf("sendMessage"))
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Down for a while; a message waits at Telegram.
	g.Stop()
	api.push(privateMsg(2, "while the gateway was down", ""))
	g.Run()
	g.WaitReady(user)
	if got := g.NextMessage(user, person); got.Body != "while the gateway was down" {
		t.Fatalf("after the restart: %s (the first message again?)", got.XML)
	}
	api.push(privateMsg(3, "after the restart", ""))
	if got := g.NextMessage(user, person); got.Body != "after the restart" {
		t.Fatalf("after the restart: %s", got.XML)
	}
	g.SendChat(user, person, "still there")
	deadline = time.Now().Add(gatewaytest.Timeout)
	for !slices.ContainsFunc(api.callsOf("sendMessage"), func(c apiCall) bool { return c.Params["text"] == "still there" }) {
		if time.Now().After(deadline) {
			t.Fatal("the XMPP message after the restart never reached the Bot API")
		}
		time.Sleep(20 * time.Millisecond)
	}
	n := 0
	for _, c := range api.callsOf("sendMessage") {
		if c.Params["text"] == "hello from XMPP" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the first XMPP message reached Telegram %d times", n)
	}
}

// startGateway runs the stack with this test binary as the plugin and
// logs a user in as the fake API's bot.
func startGateway(t *testing.T, api *fakeAPI) (*gatewaytest.Gateway, *xmpptest.Client) {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: bin, Name: "telegram",
		PluginConfig: fmt.Sprintf("bot_api_url = %q\npoll_timeout_ms = 1000", api.URL())})
	user := g.User("alice")
	g.WaitReady(user)
	r, st := g.Command(user, "login", "", "", nil)
	if st.Type != "result" || r.Command.SessionID == "" {
		t.Fatalf("login command: %s", st.XML)
	}
	if _, _, ok := r.Field("token"); !ok {
		r, st = g.Command(user, "login", r.Command.SessionID, "next", map[string]string{"flow": "bot"})
		if _, _, ok := r.Field("token"); !ok {
			t.Fatalf("no token field: %s", st.XML)
		}
	}
	r, st = g.Command(user, "login", r.Command.SessionID, "next", map[string]string{"token": testToken})
	if st.Type != "result" || r.Command.Status != "completed" {
		t.Fatalf("login: %s", st.XML)
	}
	return g, user
}

// A Telegram group is a room: joined with the bot as the user's own
// occupant and the group's admin, messages both ways, a member first
// seen when they speak.
func TestGatewayGroup(t *testing.T) {
	api := newFakeAPI(t)
	api.admins[fmt.Sprint(groupID)] = `[{"status":"creator","user":{"id":600,"is_bot":false,"first_name":"Owner"},"is_anonymous":false}]`
	g, user := startGateway(t, api)
	room := g.JID(fmt.Sprint(groupID))
	api.push(groupMsg(10, 600, "Owner", "before the join"))
	// The room exists once the gateway has the chat.
	deadline := time.Now().Add(gatewaytest.Timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		items, err := user.IQ(ctx, `<iq type='get' to='`+g.Domain+`'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
		cancel()
		if err == nil && strings.Contains(items.XML, `jid="`+room+`"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the group never became a room: %v %s", err, items.XML)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := user.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	self := g.Next(user, "the self-presence", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, `code="110"`)
	})
	if self.Type == "error" {
		t.Fatalf("join refused: %s", self.XML)
	}
	g.Next(user, "the subject", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "<subject")
	})
	api.push(groupMsg(11, 601, "Bob", "hi all"))
	got := g.Next(user, "Bob's message", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "groupchat" && s.Body == "hi all"
	})
	if !strings.HasSuffix(got.From, "/Bob") {
		t.Errorf("Bob's message from %s", got.From)
	}
	id := user.NewID()
	if err := user.SendRaw(ctx, `<message type='groupchat' id='`+id+`' to='`+room+`'><body>hello group</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(gatewaytest.Timeout)
	for !slices.ContainsFunc(api.callsOf("sendMessage"), func(c apiCall) bool {
		return c.Params["chat_id"] == fmt.Sprint(groupID) && c.Params["text"] == "hello group"
	}) {
		if time.Now().After(deadline) {
			t.Fatalf("the groupchat message never reached the Bot API: %v", api.callsOf("sendMessage"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
