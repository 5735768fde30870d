package xmpplink

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/syncbuf"
)

// countLines counts the log lines at level (slog text: "level=WARN")
// that carry msg.
func countLines(logs string, level, msg string) int {
	n := 0
	for _, ln := range strings.Split(logs, "\n") {
		if strings.Contains(ln, "level="+level+" ") && strings.Contains(ln, msg) {
			n++
		}
	}
	return n
}

// TestLinkDownToldOnce: with the server down, the link retries many
// times; the log at info says so once (WARN, with the cause and
// retry_in), the retries are at debug. Before, each retry was a WARN:
// up to two lines a minute per transport for the whole outage.
func TestLinkDownToldOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // connection refused from now on
	logs := &syncbuf.Buffer{}
	l := New(Config{Addr: addr, Domain: "gw.localhost", Secret: "s",
		PingInterval: time.Hour, PingTimeout: time.Second, ReconnectMax: 20 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Handle: func(*wire.Stanza) {}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for countLines(logs.String(), "DEBUG", "component link down") < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than 4 retries at debug:\n%s", logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := countLines(logs.String(), "WARN", "component link down"); n != 1 {
		t.Fatalf("%d WARN lines for one outage, want 1:\n%s", n, logs)
	}
	if first := countLines(logs.String(), "WARN", "retry_in="); first != 1 || !strings.Contains(logs.String(), "connection refused") {
		t.Fatalf("the WARN line lacks the cause or retry_in:\n%s", logs)
	}
}

// TestLinkBackSaysHowLong: after an outage, one INFO says the link is
// back and how long it was down; a second outage is told again.
func TestLinkBackSaysHowLong(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	l, logs := run(t, srv, "s", nil)
	waitUp(t, l)
	for round := 1; round <= 2; round++ {
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); l.Up(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("link still up with the server stopped")
			}
		}
		// Stay down across a few retries (ReconnectMax is 1 s here).
		time.Sleep(2500 * time.Millisecond)
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		waitUp(t, l)
		// Up() turns true just before the line is written: wait for it.
		waitLog(t, logs, func(s string) bool {
			return countLines(s, "INFO", "component link up") == round+1 && countLines(s, "INFO", "down_for=") == round
		}, fmt.Sprintf("round %d: %d link up lines, %d with down_for", round, round+1, round))
		if n := countLines(logs.String(), "WARN", "component link down"); n != round {
			t.Fatalf("round %d: %d WARN lines, want one per outage:\n%s", round, n, logs)
		}
	}
}
