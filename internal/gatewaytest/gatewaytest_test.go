package gatewaytest_test

import (
	"fmt"
	"os"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
)

var echoBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gatewaytest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	echoBin, err = gatewaytest.Build(dir, "passerelle.im/passerelle/cmd/passerelle-echo")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestHarness drives the echo plugin through the harness as a transport's
// test would: a login by ad-hoc command, a message both ways, a restart.
func TestHarness(t *testing.T) {
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: echoBin, Name: "echo"})
	alice := g.User("alice")
	g.WaitReady(alice)

	r, st := g.Command(alice, "login", "", "", nil)
	if st.Type != "result" || r.Command.SessionID == "" {
		t.Fatalf("login command: %s", st.XML)
	}
	r, st = g.Command(alice, "login", r.Command.SessionID, "next", map[string]string{"username": "alice-echo"})
	if st.Type != "result" || r.Command.Status != "completed" {
		t.Fatalf("login: %s", st.XML)
	}

	bob := g.JID("bob")
	for round := range 2 {
		body := fmt.Sprintf("hello %d <&>", round)
		g.SendChat(alice, bob, body)
		if got := g.NextMessage(alice, bob); got.Body != body || got.Type == "error" {
			t.Fatalf("round %d: echo %s", round, got.XML)
		}
		g.Restart()
		g.WaitReady(alice)
	}
	if g.JID("a b") == g.JID("a_b") {
		t.Fatal("JID does not escape")
	}
}
