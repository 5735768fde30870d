package botmode_test

import (
	"context"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A text that starts with "//" and a letter goes with one slash less,
// as on Signal and IRC, so that the words of a gateway command ("/timer
// x") can be sent as text. "// note" keeps its slashes.
func TestEscapedChatCommandSentBot(t *testing.T) {
	api := newFakeAPI(t)
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	call := sdk.Call{ChatID: "501"}
	for _, text := range []string{"//timer x", "// note"} {
		if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: text}); err != nil {
			t.Fatalf("%q: %v", text, err)
		}
	}
	c := api.callsOf("sendMessage")
	if len(c) != 2 || c[0].Params["text"] != "/timer x" || c[1].Params["text"] != "// note" {
		t.Errorf("sendMessage calls %v: want %q then %q", c, "/timer x", "// note")
	}
}
