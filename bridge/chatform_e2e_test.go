package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// chatDialogue is a chat with the gateway: say sends a line, expect
// waits for the gateway's next message and checks it says each of want.
func chatDialogue(t *testing.T, c *xmpptest.Client) (say func(string), expect func(want ...string) string) {
	say = func(text string) { sendChat(t, c, domain, text) }
	expect = func(want ...string) string {
		t.Helper()
		m := nextMessage(t, c, domain, timeout)
		if m.Type == "error" {
			t.Fatalf("error while waiting for %q: %s", want, m.XML)
		}
		for _, w := range want {
			if !strings.Contains(m.Body, w) {
				t.Fatalf("the gateway said %q, want it to say %q", m.Body, w)
			}
		}
		return m.Body
	}
	return say, expect
}

// chatFormUser starts a gateway with the chatform plugin and returns
// alice with the gateway online for her.
func chatFormUser(t *testing.T) (*stack, *xmpptest.Client) {
	s := newStack(t, stackOptions{plugin: testPlugin(t, "chatform")})
	alice := s.user("alice")
	s.waitGateway(alice)
	return s, alice
}

// chatFormChat is alice's chat with a gateway of the chatform plugin.
func chatFormChat(t *testing.T) (say func(string), expect func(want ...string) string) {
	_, alice := chatFormUser(t)
	return chatDialogue(t, alice)
}

// TestChatLoginSkipsAndChecks: the chat login of a form with optional
// fields, a yes/no and a choice (the chatform plugin). A prompt shows a
// field's default, "(yes/no)" for a boolean, and the word that skips it;
// "-" takes the default or leaves the field empty, and is refused for a
// required field; a yes/no not answered yes or no, or a choice not among
// the options, is asked again alone; "done" sends the form with the
// defaults for the rest. Before, every field was asked with no way to
// skip one (a client sends no empty message), "TLS?" alone, and a wrong
// answer reached the plugin only after the last field.
func TestChatLoginSkipsAndChecks(t *testing.T) {
	say, expect := chatFormChat(t)

	say("login")
	expect("Name?")
	say("-")
	expect("Name must be answered")
	expect("Name?")
	say("ann")
	expect("TLS?", "(yes/no)", "Default: yes.", "Send - (or skip) to take the default", "done")
	say("maybe")
	expect(`answer yes or no, not "maybe"`)
	expect("TLS?")
	say("no")
	expect("Color?", "(one of: red, green, blue)", "Default: green.")
	say("purple")
	expect(`"purple" is not one of red, green, blue`)
	expect("Color?")
	say("skip")
	expect("Note?", "Send - (or skip) to leave it empty")
	say("done")
	expect(`You are logged in to Chat Form as ann (tls=false color=green note="" port="")`)

	// The defaults, every optional field skipped.
	say("logout")
	expect("logged out")
	say("login")
	expect("Name?")
	// A required field without a default has nothing to skip to: "skip"
	// there is its answer (a name such as Skip), not refused.
	say("Skip")
	for _, q := range []string{"TLS?", "Color?", "Note?", "Port?"} {
		expect(q)
		say("-")
	}
	expect(`You are logged in to Chat Form as Skip (tls=true color=green note="" port="")`)
}

// TestChatLoginRefusedKeepsAnswers: when the plugin refuses the form
// (its error names the field in words only: the contract carries no
// field), the chat shows the error and the answers kept, numbered; the
// user answers the wrong field again alone and sends the form again.
// Before, the whole form was asked again from its first field.
func TestChatLoginRefusedKeepsAnswers(t *testing.T) {
	say, expect := chatFormChat(t)

	say("login")
	expect("Name?")
	for _, a := range []string{"cy", "yes", "Blue", "hello", "x"} {
		say(a)
		if a != "x" {
			expect("?")
		}
	}
	expect(`The port must be a number, not "x".`, "1. Name: cy", "2. TLS: yes", "3. Color: blue", "4. Note: hello", "5. Port: x", "Send a field's number")
	say("9")
	expect("from 1 to 5")
	say("5")
	expect("Port?", "Default: x.")
	say("7000")
	expect("5. Port: 7000", "1. Name: cy")
	say("done")
	expect(`You are logged in to Chat Form as cy (tls=true color=blue note="hello" port="7000")`)
}

// TestChatLoginLiteralWords: an answer that is one of the words the chat
// reads (-, skip, done, cancel) is given as written after a backslash;
// the prompt says so where such a word is a likely answer (free text),
// not for a yes/no or a choice. Before, "\-" was the answer "\-" and a
// field could not be answered "-", nor an optional one "skip" or "done".
func TestChatLoginLiteralWords(t *testing.T) {
	say, expect := chatFormChat(t)

	say("login")
	expect("Name?")
	say("-")
	expect("Name must be answered", `To answer - itself, send \-.`)
	expect("Name?")
	say(`\cancel`) // not a cancel: the name "cancel"
	if q := expect("TLS?"); strings.Contains(q, `\`) {
		t.Errorf("a yes/no's prompt tells how to answer a word as written: %q", q)
	}
	say("-")
	if q := expect("Color?"); strings.Contains(q, `\`) {
		t.Errorf("a choice's prompt tells how to answer a word as written: %q", q)
	}
	say("-")
	expect("Note?", `To answer with such a word itself, put \ before it (\-).`)
	say(`\-`)
	expect("Port?", `\-`)
	say(`\done`)
	expect(`The port must be a number, not "done".`, "1. Name: cancel", "4. Note: -", "5. Port: done")
	say("5")
	expect("Port?")
	say("7")
	expect("5. Port: 7")
	say("done")
	expect(`You are logged in to Chat Form as cancel (tls=true color=green note="-" port="7")`)
}
