package xmpplink

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/syncbuf"
)

// runLink runs a link to addr as domain and returns its log.
func runLink(t *testing.T, addr, domain, secret string) (*Link, *syncbuf.Buffer) {
	t.Helper()
	return runLinkWith(t, Config{Addr: addr, Domain: domain, Secret: secret})
}

// runLinkWith runs a link with cfg, its timings, log and handler filled
// in, and returns its log.
func runLinkWith(t *testing.T, cfg Config) (*Link, *syncbuf.Buffer) {
	t.Helper()
	logs := &syncbuf.Buffer{}
	cfg.PingInterval, cfg.PingTimeout, cfg.ReconnectMax = 200*time.Millisecond, time.Second, time.Second
	cfg.Log, cfg.Handle = slog.New(slog.NewTextHandler(logs, nil)), func(*wire.Stanza) {}
	l := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return l, logs
}

// logSays waits for the log to hold all of want.
func logSays(t *testing.T, logs *syncbuf.Buffer, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		missing := ""
		for _, w := range want {
			if !strings.Contains(logs.String(), w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log never said %q:\n%s", missing, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A refused handshake or connection says what to check: the server's
// component configuration for a name it does not know, another process
// for a name already connected, the server and its port when nothing
// listens. (A wrong secret: TestLinkWrongSecret.)
func TestLinkFailureHints(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	t.Run("host-unknown", func(t *testing.T) {
		_, logs := runLink(t, srv.ComponentAddr(), "other.localhost", "s")
		logSays(t, logs, "component handshake refused", "host-unknown", `has no component \"other.localhost\"`, "restart Prosody (a reload does not add a Component)", "xmpp.server")
	})
	t.Run("conflict", func(t *testing.T) {
		first, _ := runLink(t, srv.ComponentAddr(), "gw.localhost", "s")
		waitUp(t, first)
		_, logs := runLink(t, srv.ComponentAddr(), "gw.localhost", "s")
		logSays(t, logs, "conflict", "another passerelle")
		if !first.Up() {
			t.Error("the first link went down")
		}
	})
	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, logs := runLink(t, addr, "gw.localhost", "s")
		logSays(t, logs, "connection refused", "is the XMPP server running", "xmpp.server")
	})
}
