package botmode_test

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/gatewaytest"
)

// End to end: the gateway, a real Prosody and this package's connector
// as the plugin process. A bot login by ad-hoc command, a message each
// way, and a gateway restart with a message arriving meanwhile: nothing
// lost, nothing repeated.
func TestGatewayEndToEnd(t *testing.T) {
	api := newFakeAPI(t)
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
