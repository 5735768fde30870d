package bridge

import (
	"context"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
)

// TestRouteNeverBlocks: with a chat's queue full, the link's reader
// (route) goes on: the stanza is refused, not waited for. (It once
// blocked, pings went unanswered and the server reset the link.)
func TestRouteNeverBlocks(t *testing.T) {
	tr := newTestTransport(t)
	tr.link = xmpplink.New(xmpplink.Config{Addr: "127.0.0.1:1", Domain: "echo.localhost", Secret: "x"})
	gate := make(chan struct{})
	defer close(gate)
	tr.in.handle, tr.in.max = func(context.Context, *wire.Stanza) { <-gate }, 1
	st, err := wire.Parse(`<message from='alice@localhost/r' to='bob@echo.localhost' id='m1' type='chat'><body>hi</body></message>`)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for range 3 {
			tr.route(st)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("route blocked on a full chat")
	}
}

// TestChatKeepsOrder: while a chat waits on slow work, its later stanzas
// (from any resource of the user) wait behind it and then run in order;
// another chat goes on meanwhile. Idle, the chats' workers end.
func TestChatKeepsOrder(t *testing.T) {
	tr := newTestTransport(t)
	tr.in.idle = 20 * time.Millisecond
	gate := make(chan struct{})
	ran := make(chan string, 4)
	tr.in.handle = func(ctx context.Context, st *wire.Stanza) {
		if st.ID() == "1" {
			slowly(ctx, tr.downloads, func() { <-gate })
		}
		ran <- st.ID()
	}
	parse := func(from, to, id string) *wire.Stanza {
		st, err := wire.Parse(`<message from='` + from + `' to='` + to + `' id='` + id + `' type='chat'/>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	next := func() string {
		t.Helper()
		select {
		case id := <-ran:
			return id
		case <-time.After(10 * time.Second):
			t.Fatal("no stanza handled")
			return ""
		}
	}
	tr.route(parse("alice@localhost/r", "bob@echo.localhost", "1"))
	tr.route(parse("alice@localhost/other", "bob@echo.localhost", "2"))
	tr.route(parse("carol@localhost/r", "bob@echo.localhost", "3"))
	if got := next(); got != "3" {
		t.Fatalf("ran %s first, want the other chat's 3", got)
	}
	if len(ran) != 0 {
		t.Fatalf("%s ran while its chat waited on slow work", <-ran)
	}
	close(gate)
	if a, b := next(), next(); a != "1" || b != "2" {
		t.Fatalf("the held chat ran %s then %s, want 1 then 2", a, b)
	}
	for deadline := time.Now().Add(10 * time.Second); tr.in.active() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d chats still have a worker", tr.in.active())
		}
	}
}

// TestRouteBoundsChats: past the bound on chats with a worker, a stanza
// of a new chat is refused (route goes on), while one of a chat that has
// a worker is still taken.
func TestRouteBoundsChats(t *testing.T) {
	tr := newTestTransport(t)
	tr.link = xmpplink.New(xmpplink.Config{Addr: "127.0.0.1:1", Domain: "echo.localhost", Secret: "x"})
	gate := make(chan struct{})
	defer close(gate)
	tr.in.handle, tr.in.limit = func(context.Context, *wire.Stanza) { <-gate }, 2
	msg := func(to string) *wire.Stanza {
		st, err := wire.Parse(`<message from='alice@localhost/r' to='` + to + `' type='chat'><body>hi</body></message>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	for _, to := range []string{"a@echo.localhost", "b@echo.localhost"} {
		if !tr.in.push(chatAddr{"alice@localhost", to}, msg(to)) {
			t.Fatalf("chat %s refused under the bound", to)
		}
	}
	if tr.in.push(chatAddr{"alice@localhost", "c@echo.localhost"}, msg("c@echo.localhost")) {
		t.Error("a third chat was taken past the bound of 2")
	}
	if !tr.in.push(chatAddr{"alice@localhost", "a@echo.localhost"}, msg("a@echo.localhost")) {
		t.Error("a chat with a worker was refused")
	}
	if n := tr.in.active(); n != 2 {
		t.Errorf("%d chats have a worker, want 2", n)
	}
}

// TestChatsKept: past the chats that keep an idle worker, a worker ends
// as soon as its chat is idle, down to that many; those keep theirs.
func TestChatsKept(t *testing.T) {
	tr := newTestTransport(t)
	tr.in.kept, tr.in.idle = 2, time.Hour
	ran := make(chan string, 8)
	tr.in.handle = func(_ context.Context, st *wire.Stanza) { ran <- st.To() }
	for _, to := range []string{"a@echo.localhost", "b@echo.localhost", "c@echo.localhost", "d@echo.localhost"} {
		st, err := wire.Parse(`<message from='alice@localhost/r' to='` + to + `' type='chat'/>`)
		if err != nil {
			t.Fatal(err)
		}
		tr.route(st)
	}
	for range 4 {
		select {
		case <-ran:
		case <-time.After(10 * time.Second):
			t.Fatal("a chat's stanza was not handled")
		}
	}
	for deadline := time.Now().Add(10 * time.Second); tr.in.active() != 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d chats keep a worker, want 2", tr.in.active())
		}
	}
}
