//go:build unix

package main

import (
	"context"
	"regexp"
	"syscall"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestSaysHowToConnect: the running demo prints a client command to
// paste, with the port it listens on this time, and the account and
// password it prints log in there without TLS, as it says. (It named
// the port alone, random at each run, and a client tries TLS first.)
func TestSaysHowToConnect(t *testing.T) {
	d := startDemo(t)
	d.waitLine("Press Ctrl-C to stop.")
	out := d.seen.String()
	port := regexp.MustCompile(`(?m)^  server    127\.0\.0\.1, port (\d+) `).FindStringSubmatch(out)
	password := regexp.MustCompile(`(?m)^  password  (\S+)$`).FindStringSubmatch(out)
	if port == nil || password == nil {
		t.Fatalf("no server port or password in the output:\n%s", out)
	}
	want := "/connect demo@localhost server 127.0.0.1 port " + port[1] + " tls disable"
	if !regexp.MustCompile(`(?m)^  Profanity: ` + regexp.QuoteMeta(want) + `$`).MatchString(out) {
		t.Errorf("the output has no line %q:\n%s", "  Profanity: "+want, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := xmpptest.Dial(ctx, "127.0.0.1:"+port[1], jid.MustParse("demo@localhost/test"), password[1])
	if err != nil {
		t.Fatalf("logging in as printed: %v", err)
	}
	c.Close()
	// Stopped as a user does, not killed: its Prosody and gateway would
	// be left for the next test to find.
	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := d.wait(true); code != 0 {
		t.Errorf("exit status %d after Ctrl-C, want 0", code)
	}
	d.noLeftovers()
}
