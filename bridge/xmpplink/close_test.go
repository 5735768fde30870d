package xmpplink

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/syncbuf"
)

// lateServer is a component server that, once it reads the link's
// </stream:stream>, sends a message (one a user sent just before, which
// it routed on rather than bounce) and then, if closes, its own
// </stream:stream>; else it reads on until the link hangs up.
func lateServer(t *testing.T, closes bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			go serveLate(c, closes)
		}
	}()
	return ln.Addr().String()
}

func serveLate(c net.Conn, closes bool) {
	defer c.Close()
	r := bufio.NewReader(c)
	read := ""
	for !strings.Contains(read, "stream:stream") {
		s, err := r.ReadString('>')
		if err != nil {
			return
		}
		read += s
	}
	io.WriteString(c, `<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' from='gw.localhost' id='s1'>`)
	for range 2 { // <handshake>, </handshake>
		if _, err := r.ReadString('>'); err != nil {
			return
		}
	}
	io.WriteString(c, `<handshake/>`)
	read = ""
	for !strings.Contains(read, "</stream:stream>") {
		s, err := r.ReadString('>')
		if err != nil {
			return
		}
		read += s
	}
	io.WriteString(c, `<message from='u@localhost/r' to='c@gw.localhost' id='late' type='chat'><body>sent just before the stop</body></message>`)
	if closes {
		io.WriteString(c, `</stream:stream>`)
		return
	}
	io.Copy(io.Discard, r)
}

// runLate runs a link to addr until its stop, and returns the ids of the
// messages Handle got by the time Run returned, and the log.
func runLate(t *testing.T, addr string) ([]string, string) {
	t.Helper()
	var mu sync.Mutex
	var got []string
	logs := &syncbuf.Buffer{}
	l := New(Config{Addr: addr, Domain: "gw.localhost", Secret: "s",
		PingInterval: time.Hour, PingTimeout: time.Second, ReconnectMax: time.Second,
		Log: slog.New(slog.NewTextHandler(logs, nil)), Handle: func(st *wire.Stanza) {
			if st.Kind() == "message" {
				mu.Lock()
				got = append(got, st.ID())
				mu.Unlock()
			}
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	waitUp(t, l)
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("Run did not return; log:\n%s", logs)
	}
	mu.Lock()
	defer mu.Unlock()
	return append([]string(nil), got...), logs.String()
}

// TestCleanStopReadsUntilServerCloses: at a clean stop, a stanza the
// server sends after reading the link's </stream:stream> and before its
// own reaches Handle before Run returns (RFC 6120 §4.4). Before, the link
// closed the socket right after its closing tag: a message a user sent
// just before the stop, which the server routed and did not bounce, was
// lost without a word.
func TestCleanStopReadsUntilServerCloses(t *testing.T) {
	got, logs := runLate(t, lateServer(t, true))
	if len(got) != 1 || got[0] != "late" {
		t.Fatalf("Handle got %q by the time Run returned, want the message the server sent before its close; log:\n%s", got, logs)
	}
	if strings.Contains(logs, "did not end the stream") {
		t.Fatalf("a server that closed is said not to have:\n%s", logs)
	}
}

// TestCleanStopServerNeverCloses: a server that never ends its stream
// does not hold the stop: Run returns once closeWait passed, what the
// server sent meanwhile handled, and the log says the server did not
// close.
func TestCleanStopServerNeverCloses(t *testing.T) {
	got, logs := runLate(t, lateServer(t, false))
	if len(got) != 1 || got[0] != "late" {
		t.Fatalf("Handle got %q by the time Run returned, want the message the server sent after our close; log:\n%s", got, logs)
	}
	if !strings.Contains(logs, "the XMPP server did not end the stream") {
		t.Fatalf("the log does not say the server never closed:\n%s", logs)
	}
}
