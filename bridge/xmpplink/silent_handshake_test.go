package xmpplink

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/syncbuf"
)

// muteServer takes connections and never answers; it returns its
// address and the count of connections taken.
func muteServer(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			t.Cleanup(func() { c.Close() })
			go io.Copy(io.Discard, c)
		}
	}()
	return ln.Addr().String(), &accepted
}

// startMute runs a link to a mute server with the handshake timeout hs.
func startMute(t *testing.T, addr string, hs time.Duration) (*syncbuf.Buffer, context.CancelFunc, <-chan struct{}) {
	t.Helper()
	logs := &syncbuf.Buffer{}
	l := New(Config{Addr: addr, Domain: "gw.localhost", Secret: "s", HandshakeTimeout: hs,
		PingInterval: time.Hour, PingTimeout: time.Second, ReconnectMax: 100 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(logs, nil)), Handle: func(*wire.Stanza) {}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return logs, cancel, done
}

// waitCount waits until n reaches want.
func waitCount(t *testing.T, n *atomic.Int32, want int32, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for n.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections, want %d: %s", n.Load(), want, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHandshakeNoAnswer: xmpp.server at a port that takes the
// connection and never answers (a service of another kind, a hung
// server): the handshake gives up after HandshakeTimeout, says so in
// plain words and tries again; a stop ends a handshake under way.
// Before, mellium cleared the connection's deadline as its context
// ended (see recorder): the handshake waited for ever with nothing in
// the log, and a stop during it never returned.
func TestHandshakeNoAnswer(t *testing.T) {
	addr, accepted := muteServer(t)
	logs, _, _ := startMute(t, addr, 500*time.Millisecond)
	logSays(t, logs, "component link down", "no answer from "+addr, "component port")
	waitCount(t, accepted, 2, "the link did not try again")

	addr2, accepted2 := muteServer(t)
	_, cancel, done := startMute(t, addr2, time.Hour)
	waitCount(t, accepted2, 1, "no handshake began")
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the stop did not end a handshake under way")
	}
}
