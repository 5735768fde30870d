package xmpplink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/internal/xmpptest"
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
	// Prosody stopping drops the connection inside the stream: the log
	// says so, not "XML syntax error", which reads as a bug.
	if !strings.Contains(logs.String(), "the server closed the connection") || strings.Contains(logs.String(), "syntax error") {
		t.Errorf("the lost link is not told as the server closing it:\n%s", logs)
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

// confirmations records what SendConfirmed's callbacks hear, by stanza.
type confirmations struct {
	mu  sync.Mutex
	got map[string]error
}

func (c *confirmations) cb(name string) func(error) {
	return func(err error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.got == nil {
			c.got = map[string]error{}
		}
		if _, dup := c.got[name]; dup {
			panic("confirmed twice: " + name)
		}
		c.got[name] = err
	}
}

func (c *confirmations) wait(t *testing.T, names ...string) map[string]error {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		n := 0
		for _, name := range names {
			if _, ok := c.got[name]; ok {
				n++
			}
		}
		out := maps.Clone(c.got)
		c.mu.Unlock()
		if n == len(names) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("confirmed %v, want all of %v", out, names)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (c *confirmations) heard(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.got[name]
	return ok
}

// TestSendConfirmedWaitsForThePing: a stanza is confirmed only once the
// server answered the ping written after it; stanzas written while a
// ping is in flight wait for the next one; a stream that ends first
// confirms nothing (ErrDown), and a stanza queued for a connection that
// is gone is not written on the next.
func TestSendConfirmedWaitsForThePing(t *testing.T) {
	srv := xmpptest.NewComponentServer(t)
	l := New(Config{Addr: srv.Addr(), Domain: "gw.localhost", Secret: "s",
		PingInterval: time.Hour, PingTimeout: time.Second, ReconnectMax: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	c1 := srv.Accept(t)
	waitUp(t, l)
	gen := l.Generation()
	var conf confirmations
	msg := func(body string) []byte {
		var w wire.Writer
		w.Start("message", "").Attr("from", "a@gw.localhost").Attr("to", "u@localhost").Leaf("body", "", body)
		return w.Bytes()
	}
	if err := l.SendConfirmed(ctx, gen, msg("m1"), conf.cb("m1")); err != nil {
		t.Fatal(err)
	}
	if b, _ := c1.Next(t).Body(); b != "m1" {
		t.Fatalf("first stanza %q, want m1", b)
	}
	p1 := c1.Next(t)
	if p1.Kind() != "iq" || p1.To() != "gw.localhost" {
		t.Fatalf("want a ping through the server to the component after m1, got %s %s", p1.Kind(), p1.To())
	}
	// Written while the ping is in flight: no second ping yet.
	if err := l.SendConfirmed(ctx, gen, msg("m2"), conf.cb("m2")); err != nil {
		t.Fatal(err)
	}
	if b, _ := c1.Next(t).Body(); b != "m2" {
		t.Fatalf("second stanza %q, want m2", b)
	}
	time.Sleep(200 * time.Millisecond)
	if conf.heard("m1") || conf.heard("m2") {
		t.Fatal("confirmed before the server answered the ping")
	}
	// The server routes it back, as Prosody does.
	fmt.Fprintf(c1, "<iq type='get' id='%s' from='gw.localhost' to='gw.localhost'><ping xmlns='urn:xmpp:ping'/></iq>", p1.ID())
	got := conf.wait(t, "m1")
	if got["m1"] != nil {
		t.Fatalf("m1: %v, want confirmed", got["m1"])
	}
	if conf.heard("m2") {
		t.Fatal("m2 confirmed by a ping written before it")
	}
	// The answer sends the ping that covers m2.
	p2 := c1.Next(t)
	if p2.Kind() != "iq" || p2.ID() == p1.ID() {
		t.Fatalf("want a second ping, got %s %s", p2.Kind(), p2.ID())
	}
	// The stream ends before its answer: m2 is not confirmed.
	c1.Close()
	if got := conf.wait(t, "m2"); !errors.Is(got["m2"], ErrDown) {
		t.Fatalf("m2 after the stream ended: %v, want ErrDown", got["m2"])
	}
	c2 := srv.Accept(t)
	waitUp(t, l)
	if g := l.Generation(); g == gen {
		t.Fatalf("generation %d after a reconnect, want a new one", g)
	}
	// Too late for the old connection: refused, and written on no other.
	if err := l.SendConfirmed(ctx, gen, msg("stale"), nil); !errors.Is(err, ErrDown) {
		t.Fatalf("SendConfirmed for a gone connection: %v, want ErrDown", err)
	}
	if err := l.SendConfirmed(ctx, l.Generation(), msg("m3"), conf.cb("m3")); err != nil {
		t.Fatal(err)
	}
	if b, _ := c2.Next(t).Body(); b != "m3" {
		t.Fatalf("first stanza on the new stream %q, want m3", b)
	}
	p3 := c2.Next(t)
	fmt.Fprintf(c2, "<iq type='error' id='%s' from='gw.localhost' to='gw.localhost'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", p3.ID())
	if got := conf.wait(t, "m3"); got["m3"] != nil {
		t.Fatalf("m3: %v; an error answer proves the stanzas before it arrived too", got["m3"])
	}
}

// TestSendConfirmedProsody: Prosody answers the barrier ping, so stanzas
// sent with SendConfirmed are confirmed.
func TestSendConfirmedProsody(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	got := make(chan string, 100)
	l, _ := run(t, srv, "s", func(st *wire.Stanza) {
		if b, ok := st.Body(); ok {
			got <- b
		}
	})
	waitUp(t, l)
	var conf confirmations
	var names []string
	for i := range 50 {
		name := "m" + itoa(i)
		names = append(names, name)
		var w wire.Writer
		w.Start("message", "").Attr("from", "a@gw.localhost").Attr("to", "b@gw.localhost").Leaf("body", "", name)
		if err := l.SendConfirmed(context.Background(), l.Generation(), w.Bytes(), conf.cb(name)); err != nil {
			t.Fatal(err)
		}
	}
	for name, err := range conf.wait(t, names...) {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(got) != 50 {
		t.Errorf("%d of 50 messages came back through the server", len(got))
	}
}

// TestCleanStopWaitsForConfirmation: at a clean stop, what was written
// is confirmed if the server answers within a moment, so a restart of the
// gateway delivers nothing twice.
func TestCleanStopWaitsForConfirmation(t *testing.T) {
	srv := xmpptest.NewComponentServer(t)
	l := New(Config{Addr: srv.Addr(), Domain: "gw.localhost", Secret: "s",
		PingInterval: time.Hour, PingTimeout: time.Second, ReconnectMax: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	c := srv.Accept(t)
	waitUp(t, l)
	var conf confirmations
	if err := l.SendConfirmed(ctx, l.Generation(), []byte("<message to='u@localhost'><body>m</body></message>"), conf.cb("m")); err != nil {
		t.Fatal(err)
	}
	c.Next(t)
	p := c.Next(t)
	cancel()
	time.Sleep(100 * time.Millisecond)
	if conf.heard("m") {
		t.Fatal("confirmed before the answer")
	}
	fmt.Fprintf(c, "<iq type='result' id='%s' from='localhost' to='gw.localhost'/>", p.ID())
	if got := conf.wait(t, "m"); got["m"] != nil {
		t.Fatalf("m at a clean stop: %v, want confirmed by the answer that came", got["m"])
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the link did not stop")
	}
}
