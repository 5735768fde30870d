package bridge

import (
	"context"
	"hash/maphash"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
)

// TestRouteNeverBlocks: with a shard's queue full, the link's reader
// (route) goes on: the stanza is refused, not waited for. (It once
// blocked, pings went unanswered and the server reset the link.)
func TestRouteNeverBlocks(t *testing.T) {
	tr := newTestTransport(t)
	tr.seed = maphash.MakeSeed()
	tr.link = xmpplink.New(xmpplink.Config{Addr: "127.0.0.1:1", Domain: "echo.localhost", Secret: "x"})
	for i := range tr.shards {
		tr.shards[i] = make(chan *wire.Stanza, 1)
	}
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
		t.Fatal("route blocked on a full shard")
	}
}

// TestHeldConversationKeepsOrder: while a conversation waits on slow work,
// its later stanzas wait behind it and then run in order; another
// conversation is not held.
func TestHeldConversationKeepsOrder(t *testing.T) {
	tr := newTestTransport(t)
	ctx := context.Background()
	parse := func(from, to, id string) *wire.Stanza {
		st, err := wire.Parse(`<message from='` + from + `' to='` + to + `' id='` + id + `' type='error'/>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	first := parse("alice@localhost/r", "bob@echo.localhost", "1")
	gate := make(chan struct{})
	ran := make(chan string, 4)
	tr.slowly(ctx, first, func() { <-gate; ran <- "1" })
	if !tr.queued(ctx, parse("alice@localhost/other", "bob@echo.localhost", "2")) {
		t.Fatal("a stanza of the held conversation was not queued")
	}
	if tr.queued(ctx, parse("carol@localhost/r", "bob@echo.localhost", "3")) {
		t.Fatal("another conversation was held")
	}
	close(gate)
	if got := <-ran; got != "1" {
		t.Fatalf("ran %s first", got)
	}
	tr.holds.wg.Wait()
	tr.holds.mu.Lock()
	defer tr.holds.mu.Unlock()
	if len(tr.holds.m) != 0 {
		t.Errorf("holds left: %v", tr.holds.m)
	}
}
