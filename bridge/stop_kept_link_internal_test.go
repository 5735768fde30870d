package bridge

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/store"
)

// keptLinkWait bounds the waits of the tests of kept stanzas on a link:
// a failure, not a passing test's pace.
const keptLinkWait = 30 * time.Second

// componentLink points tr's link at a component server of the test's
// own; the link is down until the returned func runs it (up, the
// server's side of its stream returned). It stops at the test's end.
func componentLink(t *testing.T, tr *transport) func() *xmpptest.ComponentConn {
	t.Helper()
	srv := xmpptest.NewComponentServer(t)
	tr.link = xmpplink.New(xmpplink.Config{Addr: srv.Addr(), Domain: tr.domain, Secret: "s",
		PingInterval: time.Minute, PingTimeout: time.Minute, ReconnectMax: 200 * time.Millisecond,
		Log: slog.New(slog.DiscardHandler), Handle: func(*wire.Stanza) {}})
	return func() *xmpptest.ComponentConn {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { tr.link.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		conn := srv.Accept(t)
		wctx, wcancel := context.WithTimeout(ctx, keptLinkWait)
		defer wcancel()
		if err := tr.link.WaitUp(wctx); err != nil {
			t.Fatalf("link never came up: %v", err)
		}
		return conn
	}
}

// TestReplayKeptWaitsForLink: a stanza kept at a stop is handled at the
// next start once the link to the server is up, and its record is
// forgotten then. The replay starts once the plugin is ready, maybe
// before the link: handled then, its answer (a disco#info's, the chat's
// "send it again") failed at once on the link down and was dropped, and
// its record forgotten all the same: the sender never heard. The link
// here comes up only once the replay has returned or says it waits.
func TestReplayKeptWaitsForLink(t *testing.T) {
	tr := newTestTransport(t)
	tr.domain = "echo.localhost"
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: slog.New(slog.DiscardHandler)}) // never run
	tr.access = config.Access{Allow: []string{"localhost"}}
	linkUp := componentLink(t, tr)
	waiting := make(chan struct{})
	var once sync.Once
	seen := &stopAt{msg: "a stanza read as the gateway stopped waits for the link to the server"}
	seen.set(func() { once.Do(func() { close(waiting) }) })
	tr.log = slog.New(seen)

	answers := map[string]func(*wire.Stanza) bool{
		`<iq type='get' id='q1' from='l@localhost/a' to='echo.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`: func(st *wire.Stanza) bool {
			return st.Kind() == "iq" && st.ID() == "q1" && st.Type() == "result" && st.To() == "l@localhost/a"
		},
		// A line of the gateway's chat, kept as its envelope alone.
		`<message type='chat' id='m1' from='l@localhost/a' to='echo.localhost'/>`: func(st *wire.Stanza) bool {
			body, _ := st.Body()
			return st.Kind() == "message" && st.To() == "l@localhost" && strings.Contains(body, "send it again")
		},
	}
	var hs []store.HeldMessage
	for raw := range answers {
		st, err := wire.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		h := store.HeldMessage{LoginID: keptLogin, UserJID: bareOf(st.From()), To: st.To(), ID: st.ID(), Stanza: []byte(raw)}
		if h.Seq, err = tr.db.PutHeld(context.Background(), tr.name, h); err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), replayKey{}, true))
	defer cancel()
	replayed := make(chan struct{})
	go func() {
		defer close(replayed)
		for _, h := range hs {
			tr.replayKept(ctx, h)
		}
	}()
	select {
	case <-waiting:
	case <-replayed:
	case <-time.After(keptLinkWait):
		t.Fatal("the replay neither ended nor waited for the link")
	}
	held, err := tr.db.HeldMessages(tr.name)
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != len(hs) {
		t.Fatalf("%d of %d records left while the link was down: the rest were handled then, their answers dropped", len(held), len(hs))
	}

	conn := linkUp()
	for len(answers) > 0 {
		st := conn.Next(t)
		for raw, match := range answers {
			if match(st) {
				delete(answers, raw)
			}
		}
	}
	select {
	case <-replayed:
	case <-time.After(keptLinkWait):
		t.Fatal("the replay did not end once the link was up")
	}
	tr.bg.Stop()
	if held, err = tr.db.HeldMessages(tr.name); err != nil {
		t.Fatal(err)
	}
	if len(held) != 0 {
		t.Errorf("%d records left once handled: %+v", len(held), held)
	}
}
