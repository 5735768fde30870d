package botmode_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/gatewaytest"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A typing notification the Bot API refuses with 429 is not waited out
// (it would show after the wait, stale) and is no error of the user's:
// it is dropped, logged once, and the typing said again while Telegram's
// wait lasts (the repeats every 4 s of a composing user, another chat)
// asks Telegram nothing and logs nothing more; once the wait is over,
// typing goes again. It was the command's rate-limited error each time,
// Telegram asked again at each repeat.
func TestTypingRateLimitedDropped(t *testing.T) {
	api := newFakeAPI(t)
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	ctx := context.Background()
	composing := pb.TypingState_TYPING_STATE_COMPOSING

	api.floodNext("sendChatAction", 2)
	for _, chat := range []string{"501", "501", "502"} {
		if err := s.SetTyping(ctx, sdk.Call{ChatID: chat}, composing); err != nil {
			t.Errorf("typing in %s while Telegram asks to slow down: %v, want it dropped", chat, err)
		}
	}
	if n := len(api.callsOf("sendChatAction")); n != 1 {
		t.Errorf("%d sendChatAction calls during Telegram's wait, want 1 (the one refused)", n)
	}
	if n := strings.Count(h.logs.String(), "typing notifications dropped"); n != 1 {
		t.Errorf("the drop logged %d times, want once:\n%s", n, h.logs.String())
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(api.callsOf("sendChatAction")) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("typing never went again after Telegram's 2 s wait")
		}
		if err := s.SetTyping(ctx, sdk.Call{ChatID: "501"}, composing); err != nil {
			t.Fatalf("typing after the wait: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Through the gateway and Prosody: the user's composing, which the Bot
// API refuses with 429, brings the user no error, and the gateway's log
// says once that typing is dropped, the composing said again during
// Telegram's wait included; the message the user then sends goes.
func TestGatewayTypingRateLimited(t *testing.T) {
	api := newFakeAPI(t)
	g, user := startGateway(t, api)
	person := g.JID("501")
	api.push(privateMsg(1, "hello from Telegram", ""))
	if got := g.NextMessage(user, person); got.Body != "hello from Telegram" {
		t.Fatalf("from Telegram: %s", got.XML)
	}
	api.floodNext("sendChatAction", 60)
	composing := `<message type='chat' to='` + gatewaytest.Escape(person) + `'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := user.SendRaw(ctx, composing); err != nil {
		t.Fatal(err)
	}
	g.Eventually("the composing asked of the Bot API", func() bool { return len(api.callsOf("sendChatAction")) == 1 })
	g.WaitLog("typing notifications dropped")
	if err := user.SendRaw(ctx, composing); err != nil {
		t.Fatal(err)
	}
	g.SendChat(user, person, "after typing")
	g.Eventually("the message sent", func() bool {
		return slices.ContainsFunc(api.callsOf("sendMessage"), func(c apiCall) bool { return c.Params["text"] == "after typing" })
	})
	for _, st := range user.Pending() {
		if st.Type == "error" {
			t.Errorf("the user got an error: %s", st.XML)
		}
	}
	if n := strings.Count(g.Logs.String(), "typing notifications dropped"); n != 1 {
		t.Errorf("the drop logged %d times, want once", n)
	}
	if n := len(api.callsOf("sendChatAction")); n != 1 {
		t.Errorf("%d sendChatAction calls during Telegram's wait, want 1", n)
	}
}
