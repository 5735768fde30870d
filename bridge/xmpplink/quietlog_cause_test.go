package xmpplink

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/syncbuf"
)

// TestLinkOtherCauseToldAgain: a retry that fails another way than the
// last one told is told again at its level, even when both are "component
// link down": the server refusing connections, then, once it is back,
// refusing the handshake with a conflict (another passerelle holds the
// name). Before, the second was at debug: the log at info said only
// "connection refused" while another process held the component.
func TestLinkOtherCauseToldAgain(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // connection refused until the server below listens
	logs := &syncbuf.Buffer{}
	runLinkLog(t, addr, logs)
	waitLog(t, logs, func(s string) bool { return countLines(s, "WARN", "connection refused") == 1 }, "the refusal told")
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	go serveHandshakes(t, ln, `<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>`, nil)
	waitLog(t, logs, func(s string) bool {
		return countLines(s, "WARN", "another process is already connected") == 1
	}, "the handshake's conflict told at WARN")
}

// runLinkLog runs a link to addr that logs at debug to logs.
func runLinkLog(t *testing.T, addr string, logs *syncbuf.Buffer) {
	l := New(Config{Addr: addr, Domain: "gw.localhost", Secret: "s",
		PingInterval: time.Hour, PingTimeout: time.Second, ReconnectMax: 50 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Handle: func(*wire.Stanza) {}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitLog waits until cond holds of the log.
func waitLog(t *testing.T, logs *syncbuf.Buffer, cond func(string) bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(logs.String()); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not so: %s:\n%s", what, logs)
		}
	}
}
