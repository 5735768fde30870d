package botmode_test

import (
	"context"
	"os"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/botmode"
)

// TestLive logs in to the real Bot API and polls once, when
// TELEGRAM_BOT_TOKEN gives a bot's token (a bot of its own: while the
// test polls, no other program gets the bot's updates). Without it the
// test is skipped: the other tests never leave loopback.
func TestLive(t *testing.T) {
	token := os.Getenv("TELEGRAM_BOT_TOKEN")
	if token == "" {
		t.Skip("TELEGRAM_BOT_TOKEN not set: no live test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, err := botmode.Login(ctx, token, botmode.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("logged in as @%s (%d), privacy mode off: %v", id.Username, id.ID, id.ReadsAllGroupMessages)
	h := newFakeHost()
	p := botmode.NewLoginProcess(botmode.LoginOptions{})
	step, err := p.(sdk.LoginSubmitter).Submit(ctx, map[string]string{botmode.FieldToken: token})
	if err != nil || step.GetComplete() == nil {
		t.Fatalf("login: %v %v", step, err)
	}
	s, err := botmode.NewSession(botmode.Config{Host: h, LoginID: step.GetComplete().LoginId, Dir: t.TempDir(),
		SavedState: step.GetComplete().SavedState, PollTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect(context.Background())
	connect(t, s, h)
}
