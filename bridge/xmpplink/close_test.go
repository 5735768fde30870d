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

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/internal/xmpptest"
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

// TestCleanStopProsodyInFlight: a real Prosody's messages forwarded to
// the link and not yet read when the stop comes (its reader was busy)
// reach Handle, in order, before Run returns; and Prosody answers the
// link's close with its own, so a stop does not wait out closeWait.
// Before, they were lost with the socket closed under them.
func TestCleanStopProsodyInFlight(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	if err := srv.Register("u", "pw"); err != nil {
		t.Fatal(err)
	}
	cctx, ccancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer ccancel()
	c, err := xmpptest.Dial(cctx, srv.C2SAddr(), jid.MustParse("u@localhost/r"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendPresence(cctx); err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var got []string
	logs := &syncbuf.Buffer{}
	l := New(Config{Addr: srv.ComponentAddr(), Domain: "gw.localhost", Secret: "s",
		PingInterval: time.Hour, PingTimeout: time.Second, ReconnectMax: time.Second,
		Log: slog.New(slog.NewTextHandler(logs, nil)), Handle: func(st *wire.Stanza) {
			if st.Kind() != "message" {
				return
			}
			mu.Lock()
			got = append(got, st.ID())
			first := len(got) == 1
			mu.Unlock()
			if first {
				// The reader is held: what Prosody forwards meanwhile
				// waits unread on the socket.
				close(entered)
				<-release
			}
		}})
	l.afterStreamClose = func() { close(release) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitUp(t, l)
	msg := func(to, id string) string {
		return `<message to='` + to + `' id='` + id + `' type='chat'><body>` + id + `</body></message>`
	}
	if err := c.SendRaw(cctx, msg("c@gw.localhost", "m0")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-cctx.Done():
		t.Fatal("the first message never reached Handle")
	}
	const n = 10
	for i := 1; i < n; i++ {
		if err := c.SendRaw(cctx, msg("c@gw.localhost", "m"+itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	// Prosody handles a session's stanzas in order: once the user has
	// its own message back, the others went to the link's socket.
	if err := c.SendRaw(cctx, msg("u@localhost/r", "self")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Next(cctx, func(s xmpptest.Stanza) bool { return xmpptest.IsMessage(s) && s.ID == "self" }); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("Run did not return; log:\n%s", logs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != n {
		t.Fatalf("Handle got %q by the time Run returned, want m0 to m%d; log:\n%s", got, n-1, logs)
	}
	for i, id := range got {
		if id != "m"+itoa(i) {
			t.Fatalf("Handle got %q, want m0 to m%d in order", got, n-1)
		}
	}
	if strings.Contains(logs.String(), "did not end the stream") {
		t.Fatalf("Prosody did not answer the link's close with its own:\n%s\nprosody:\n%s", logs, srv.LogTail())
	}
}
