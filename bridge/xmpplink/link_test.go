package xmpplink

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/prosodytest"

	"passerelle.im/passerelle/internal/syncbuf"
)

func run(t *testing.T, srv *prosodytest.Server, secret string, handle func(*wire.Stanza)) (*Link, *syncbuf.Buffer) {
	t.Helper()
	logs := &syncbuf.Buffer{}
	if handle == nil {
		handle = func(*wire.Stanza) {}
	}
	l := New(Config{Addr: srv.ComponentAddr(), Domain: "gw.localhost", Secret: secret,
		PingInterval: 200 * time.Millisecond, PingTimeout: time.Second, ReconnectMax: time.Second,
		Log: slog.New(slog.NewTextHandler(logs, nil)), Handle: handle})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return l, logs
}

func waitUp(t *testing.T, l *Link) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.WaitUp(ctx); err != nil {
		t.Fatalf("link never came up: %v", err)
	}
}

func ping(t *testing.T, l *Link, to string) *wire.Stanza {
	t.Helper()
	id := l.NewID()
	var w wire.Writer
	w.Start("iq", "").Attr("from", "gw.localhost").Attr("to", to).Attr("id", id).Attr("type", "get").Leaf("ping", wire.NSPing, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := l.IQ(ctx, id, w.Bytes())
	if err != nil {
		t.Fatalf("iq: %v", err)
	}
	return st
}

// TestLinkIQAndReconnect: the link comes up, answers to its IQs reach
// the caller (not the handler), and after the server restarts on the same
// port the link is back by itself.
func TestLinkIQAndReconnect(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	var handled sync.Map
	l, logs := run(t, srv, "s", func(st *wire.Stanza) { handled.Store(st.ID(), true) })
	waitUp(t, l)
	st := ping(t, l, "localhost")
	if st.Type() != "result" {
		t.Fatalf("ping answer: %+v", st)
	}
	if _, ok := handled.Load(st.ID()); ok {
		t.Fatal("an IQ answer reached the handler")
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for l.Up() {
		if time.Now().After(deadline) {
			t.Fatal("link still up with the server stopped")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := l.Send(context.Background(), []byte("<message/>"), nil); !errors.Is(err, ErrDown) {
		t.Fatalf("Send while down: %v, want ErrDown", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	waitUp(t, l)
	if st := ping(t, l, "localhost"); st.Type() != "result" {
		t.Fatalf("ping after reconnect: %+v", st)
	}
	if !strings.Contains(logs.String(), "component link down") {
		t.Errorf("no log line for the lost link:\n%s", logs)
	}
}

// TestLinkWrongSecret: refused, said once, not hammered.
func TestLinkWrongSecret(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	l, logs := run(t, srv, "wrong", nil)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "component handshake refused") {
		if time.Now().After(deadline) {
			t.Fatalf("no refusal logged:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if l.Up() {
		t.Fatal("up with a wrong secret")
	}
	// ReconnectMax is 1 s here: within 1.5 s at most one more try.
	time.Sleep(1500 * time.Millisecond)
	if n := strings.Count(logs.String(), "component handshake refused"); n > 2 {
		t.Fatalf("%d refusals in 1.5 s: not backing off", n)
	}
}

// TestWriterKeepsOrder: many stanzas queued at once arrive in order.
func TestWriterKeepsOrder(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	got := make(chan string, 1000)
	l, _ := run(t, srv, "s", func(st *wire.Stanza) {
		if st.Kind() == "message" {
			b, _ := st.Body()
			got <- b
		}
	})
	waitUp(t, l)
	const n = 300
	for i := range n {
		var w wire.Writer
		w.Start("message", "").Attr("from", "a@gw.localhost").Attr("to", "b@gw.localhost").Leaf("body", "", "m"+itoa(i))
		if err := l.Send(context.Background(), w.Bytes(), nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		select {
		case b := <-got:
			if b != "m"+itoa(i) {
				t.Fatalf("message %d arrived as %q: out of order", i, b)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d messages came back", i, n)
		}
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
