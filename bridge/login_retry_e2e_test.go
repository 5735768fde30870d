package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// A login whose network's first attempt fails for now
// (TRANSIENT_DISCONNECT) and whose next attempt, a second later,
// connects (echo's +flaky) ends told "Connected.": in the login's
// answer when the connection came before it was sent, else in one chat
// message after the answer told the failure. Nothing says the login
// failed after that. Whichever order the gateway and the plugin take is
// accepted; the retry comes well within the answer budget (20 s), but
// an answer past it ("Still connecting") is accepted too, the chat then
// telling the rest.

// TestFlakyLoginToldConnected: a user logs in in a chat, another with
// the login command, a third with an XEP-0077 registration, each as a
// flaky echo account (+flaky, +hiccup): each ends told connected, once,
// with no failure after it, and the gateway's status says connected.
func TestFlakyLoginToldConnected(t *testing.T) {
	s := newStack(t, stackOptions{})
	// +flaky connects a second after the failure, after the answer;
	// +hiccup at once, before or after it.
	for _, tc := range []struct{ mark, chat, cmd, reg string }{
		{echo.FlakyMark, "alice", "bob", "carol"},
		{echo.HiccupMark, "dave", "erin", "frank"},
	} {
		chat, cmd, reg := s.user(tc.chat), s.user(tc.cmd), s.user(tc.reg)
		s.waitGateway(chat)
		s.waitGateway(cmd)
		s.waitGateway(reg)

		t.Run("chat"+tc.mark, func(t *testing.T) {
			user := tc.chat + tc.mark
			said := chatLogin(t, chat, user)
			endsConnected(t, chat, user, said[len(said)-1], false)
		})

		t.Run("command"+tc.mark, func(t *testing.T) {
			user := tc.cmd + tc.mark
			r, _ := command(t, cmd, "login", "", "", nil)
			r, st := command(t, cmd, "login", r.Command.SessionID, "next", map[string]string{"username": user})
			if r.Command.Status != "completed" || len(r.Command.Notes) != 1 {
				t.Fatalf("the login command: %s", st.XML)
			}
			n := r.Command.Notes[0]
			if strings.HasSuffix(n.Text, "Connected.") && n.Type != "info" {
				t.Errorf("a connected note of type %q, want info: %q", n.Type, n.Text)
			}
			endsConnected(t, cmd, user, n.Text, false)
		})

		t.Run("registration"+tc.mark, func(t *testing.T) {
			user := tc.reg + tc.mark
			st := registerWaiting(t, reg, user)
			answer := ""
			switch {
			case st.Type == "result":
				// Connected before the answer (or not known by the
				// budget's end: the chat then tells it).
			case st.Type == "error" && strings.Contains(st.XML, "remote-server-timeout") && strings.Contains(st.XML, echo.FlakyReason):
				answer = "connecting failed: " + echo.FlakyReason // its text, as the error's XML escapes it
			default:
				t.Fatalf("the flaky registration's answer: %s", st.XML)
			}
			endsConnected(t, reg, user, answer, st.Type == "result")
		})
	}
}

// endsConnected checks what c hears of the login of user after answer,
// the login's answer: said connected there, or, said failed (or still
// connecting), in one chat message after it; no other "Connected." and
// no failure after the connected word, up to the answer to a "status"
// sent then, which says connected. mayBeQuiet: answer was a bare
// registration result, which says connected without a text (or, past
// the budget, nothing yet: a chat message then tells it).
func endsConnected(t *testing.T, c *xmpptest.Client, user, answer string, mayBeQuiet bool) {
	t.Helper()
	t.Logf("the answer to %s's login: %q", user, answer)
	connected := func(b string) bool { return strings.Contains(b, user) && strings.HasSuffix(b, "Connected.") }
	words := []string{answer}
	told := 0
	switch {
	case mayBeQuiet && answer == "":
	case connected(answer):
		told = 1
	case strings.Contains(answer, "connecting failed"), strings.Contains(answer, "Still connecting"):
		if strings.Contains(answer, "connecting failed") && !strings.Contains(answer, echo.FlakyReason) {
			t.Errorf("the failure told without the network's reason: %q", answer)
		}
		// The retry's connection follows: told in the chat.
		for told == 0 {
			m := nextMessage(t, c, domain, connectWait)
			if m.Type == "error" {
				t.Fatalf("an error while waiting for the connection: %s", m.XML)
			}
			words = append(words, m.Body)
			if connected(m.Body) {
				told = 1
			}
		}
	default:
		t.Fatalf("the login's answer says neither connected nor failed: %q", answer)
	}

	// All the gateway said before comes before the status's answer.
	sendChat(t, c, domain, "status")
	var status string
	for status == "" {
		m := nextMessage(t, c, domain, connectWait)
		switch {
		case strings.Contains(m.Body, "State:"):
			status = m.Body
		case connected(m.Body):
			told++
			words = append(words, m.Body)
		default:
			words = append(words, m.Body)
		}
	}
	if told != 1 && !(mayBeQuiet && told == 0) {
		t.Errorf("the connection was told %d times, want once: %q", told, words)
	}
	for i := len(words) - 1; i >= 0; i-- { // the last word on the connection
		if connected(words[i]) {
			break
		}
		if strings.Contains(words[i], "failed") {
			t.Errorf("a failure is the last word on the connection: %q (all: %q)", words[i], words)
			break
		}
	}
	if !strings.Contains(status, "State: connected") {
		t.Errorf("the status after the login: %q", status)
	}
}
