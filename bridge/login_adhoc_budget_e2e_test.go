package bridge_test

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge"
	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// The login command's last answer comes at most adhocLoginBudget (20 s)
// after its request: clients give a command's request up after 30 to
// 60 s, and a slow Connect (up to 30 s) then the wait for the first
// state (up to 30 s) took up to a minute. Not known by then, the note
// says the login is still connecting and a chat message tells how it
// went, once.

// TestCommandLoginSlowToldInChat: two logins by the login command whose
// connection takes longer than the budget: bob's network says CONNECTED
// late (echo's +dawdle), carol's Connect itself takes long, then fails
// (+stall+broken). Each command's note says the login is still
// connecting and that a chat message follows; that message then says
// how it went (Connected.; the connection stopped, with the reason and
// "relogin"), once, and carol's failure is not told again as its own
// notice. Before, each answer waited for the state (bob's) or for the
// Connect (carol's), 25 s, past the budget, and the chat said the same
// as the note.
func TestCommandLoginSlowToldInChat(t *testing.T) {
	if echo.StallConnect <= bridge.AdhocLoginBudget || echo.StallConnect >= bridge.LoginConnectWait {
		t.Fatalf("echo's StallConnect (%v) must be between the budget (%v) and the login's wait (%v)",
			echo.StallConnect, bridge.AdhocLoginBudget, bridge.LoginConnectWait)
	}
	s := newStack(t, stackOptions{})
	bob, carol := s.user("bob"), s.user("carol")
	s.waitGateway(bob)
	s.waitGateway(carol)

	type answer struct {
		r   cmdResponse
		err error
	}
	login := func(c *xmpptest.Client, user string) <-chan answer {
		ch := make(chan answer, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), connectWait)
			defer cancel()
			r, st, err := c.Command(ctx, domain, "login", "", "", nil)
			if err == nil && st.Type == "result" {
				r, _, err = c.Command(ctx, domain, "login", r.Command.SessionID, "next", map[string]string{"username": user})
			}
			ch <- answer{r, err}
		}()
		return ch
	}
	bobUser, carolUser := "bob"+echo.DawdleMark, "carol"+echo.StallMark+echo.BrokenMark
	bobCmd, carolCmd := login(bob, bobUser), login(carol, carolUser)

	stillConnecting := func(who string, a answer) {
		t.Helper()
		if a.err != nil || a.r.Command.Status != "completed" || len(a.r.Command.Notes) != 1 {
			t.Fatalf("%s's login command: %v %+v", who, a.err, a.r.Command)
		}
		n := a.r.Command.Notes[0]
		if n.Type != "info" || !strings.Contains(n.Text, "You are logged in to Echo as "+who) ||
			!strings.Contains(n.Text, "Still connecting") || !strings.Contains(n.Text, "chat message") {
			t.Errorf("%s's note: %s: %q", who, n.Type, n.Text)
		}
	}
	stillConnecting(bobUser, <-bobCmd)
	stillConnecting(carolUser, <-carolCmd)

	said := untilLoggedIn(t, bob, domain)
	if got := said[len(said)-1]; got != "You are logged in to Echo as "+bobUser+". Connected." {
		t.Errorf("bob's chat after the note: %q", got)
	}
	said = untilLoggedIn(t, carol, domain)
	got := said[len(said)-1]
	for _, want := range []string{"You are logged in to Echo as " + carolUser, "saved", "stopped", echo.BrokenReason, `"relogin"`} {
		if !strings.Contains(got, want) {
			t.Errorf("carol's chat after the note lacks %q: %q", want, got)
		}
	}
	for _, b := range said[:len(said)-1] {
		if strings.Contains(b, "could not connect") {
			t.Errorf("carol's failure was told before the login's answer: %q", b)
		}
	}
	noChatSays(t, bob, "logged in")
	noChatSays(t, carol, "logged in", "could not connect")
}
