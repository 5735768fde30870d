package bridge

import (
	"context"
	"errors"
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
// own, the link logging to linkLog (nil: nowhere); the link is down
// until the returned func runs it (up, the server's side of its stream
// returned). It stops at the test's end.
func componentLink(t *testing.T, tr *transport, linkLog slog.Handler) (*xmpptest.ComponentServer, func() *xmpptest.ComponentConn) {
	t.Helper()
	srv := xmpptest.NewComponentServer(t)
	if linkLog == nil {
		linkLog = slog.DiscardHandler
	}
	tr.link = xmpplink.New(xmpplink.Config{Addr: srv.Addr(), Domain: tr.domain, Secret: "s",
		PingInterval: time.Minute, PingTimeout: time.Minute, ReconnectMax: 200 * time.Millisecond,
		Log: slog.New(linkLog), Handle: func(*wire.Stanza) {}})
	return srv, func() *xmpptest.ComponentConn {
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
	_, linkUp := componentLink(t, tr, nil)
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
		h := putKept(t, tr, raw)
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

// TestReplayKeptAnswerLinkDown: the answer of a kept stanza that the
// link did not write (the link went down after the replay's wait for
// it, before the answer) is sent again once the link is up, and the
// record is forgotten only then. Before, the answer was dropped and the
// record forgotten all the same: the sender never heard. The server
// closes the stream as the replay logs the handling's start, and the
// link stays down (its log of it held) until the test lets it connect.
func TestReplayKeptAnswerLinkDown(t *testing.T) {
	tr := newTestTransport(t)
	tr.domain = "echo.localhost"
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: slog.New(slog.DiscardHandler)}) // never run
	tr.access = config.Access{Allow: []string{"localhost"}}
	held := newHoldDown()
	srv, linkUp := componentLink(t, tr, held)
	conn := linkUp()
	t.Cleanup(held.open) // before the link's end (cleanups run last first)

	var mu sync.Mutex
	var hookErr error
	bounced := make(chan struct{}, 1)
	hook := &stopAt{msg: "handling a stanza read as the gateway stopped"}
	hook.set(func() {
		mu.Lock()
		c := conn
		mu.Unlock()
		c.Close()
		select {
		case <-held.down:
		case <-time.After(keptLinkWait):
			mu.Lock()
			hookErr = errors.New("the link never went down")
			mu.Unlock()
		}
		bounced <- struct{}{}
	})
	tr.log = slog.New(hook)

	for _, c := range []struct {
		raw   string
		match func(*wire.Stanza) bool
	}{
		{`<iq type='get' id='q1' from='l@localhost/a' to='echo.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`,
			func(st *wire.Stanza) bool { return st.Kind() == "iq" && st.ID() == "q1" && st.Type() == "result" }},
		// Kept as its envelope alone.
		{`<iq type='set' id='q2' from='l@localhost/a' to='echo.localhost'/>`,
			func(st *wire.Stanza) bool { return st.Kind() == "iq" && st.ID() == "q2" && st.Type() == "error" }},
		{`<message type='chat' id='m1' from='l@localhost/a' to='echo.localhost'/>`,
			func(st *wire.Stanza) bool {
				body, _ := st.Body()
				return st.Kind() == "message" && strings.Contains(body, "send it again")
			}},
		{`<presence type='subscribe' id='p1' from='u@localhost' to='bob@echo.localhost'/>`,
			func(st *wire.Stanza) bool { return st.Kind() == "presence" && st.Type() == "unsubscribed" }},
		// A user with no login: the message's error.
		{`<message type='chat' id='m2' from='u@localhost/a' to='bob@echo.localhost'><body>hi</body></message>`,
			func(st *wire.Stanza) bool { return st.Kind() == "message" && st.ID() == "m2" && st.Type() == "error" }},
	} {
		h := putKept(t, tr, c.raw)
		ctx, cancel := context.WithCancel(context.WithValue(context.Background(), replayKey{}, true))
		defer cancel()
		replayed := make(chan struct{})
		go func() {
			defer close(replayed)
			tr.replayKept(ctx, h)
		}()
		select {
		case <-bounced:
		case <-time.After(keptLinkWait):
			t.Fatalf("%s: never handled", c.raw)
		}
		mu.Lock()
		err := hookErr
		mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		held.release()
		next := srv.Accept(t)
		mu.Lock()
		conn = next
		mu.Unlock()
		for !c.match(next.Next(t)) {
		}
		select {
		case <-replayed:
		case <-time.After(keptLinkWait):
			t.Fatalf("%s: the replay did not end once answered", c.raw)
		}
		recs, err := tr.db.HeldMessages(tr.name)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Seq == h.Seq {
				t.Errorf("%s: record left once answered", c.raw)
			}
		}
	}
}

// holdDown is a link's log handler that holds the link down once it
// logs so (Run does before its wait to connect again) until released:
// what is sent meanwhile finds the link down.
type holdDown struct {
	down chan struct{} // a token once the link is down
	mu   sync.Mutex
	gate chan struct{} // closed: the link may connect again
}

func newHoldDown() *holdDown {
	return &holdDown{down: make(chan struct{}, 1), gate: make(chan struct{})}
}

func (h *holdDown) Enabled(context.Context, slog.Level) bool { return true }
func (h *holdDown) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *holdDown) WithGroup(string) slog.Handler            { return h }

func (h *holdDown) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "component link down" {
		return nil
	}
	h.mu.Lock()
	gate := h.gate
	h.mu.Unlock()
	select {
	case h.down <- struct{}{}:
	default:
	}
	<-gate
	return nil
}

// release lets the link connect again; its next down is held again.
func (h *holdDown) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.gate)
	h.gate = make(chan struct{})
}

// open lets the link connect from now on, held no more.
func (h *holdDown) open() {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.gate)
	h.gate = make(chan struct{})
	close(h.gate)
}

// TestReplayKeptAnsweredBeforeStop: a kept stanza whose answer went
// before a stop that came as its handling ended is forgotten, not kept
// for the start after, which answered it a second time: an iq's result,
// the replay's own answer to a set or a chat line kept as its envelope.
// A subscription, which its answers do not tell done, is kept (sent
// again, its answers are the same). The stop begins as the replay logs
// the handling's end, before it checks its context.
func TestReplayKeptAnsweredBeforeStop(t *testing.T) {
	tr := newTestTransport(t)
	tr.domain = "echo.localhost"
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: slog.New(slog.DiscardHandler)}) // never run
	tr.access = config.Access{Allow: []string{"localhost"}}
	_, linkUp := componentLink(t, tr, nil)
	conn := linkUp()
	stop := &stopAt{msg: "stanza read as the gateway stopped handled"}
	tr.log = slog.New(stop)
	for _, c := range []struct {
		raw   string
		kept  bool
		match func(*wire.Stanza) bool
	}{
		{`<iq type='get' id='q1' from='l@localhost/a' to='echo.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, false,
			func(st *wire.Stanza) bool { return st.Kind() == "iq" && st.ID() == "q1" && st.Type() == "result" }},
		{`<iq type='set' id='q2' from='l@localhost/a' to='echo.localhost'/>`, false,
			func(st *wire.Stanza) bool { return st.Kind() == "iq" && st.ID() == "q2" && st.Type() == "error" }},
		{`<message type='chat' id='m1' from='l@localhost/a' to='echo.localhost'/>`, false,
			func(st *wire.Stanza) bool {
				body, _ := st.Body()
				return st.Kind() == "message" && strings.Contains(body, "send it again")
			}},
		{`<presence type='subscribe' id='p1' from='u@localhost' to='bob@echo.localhost'/>`, true,
			func(st *wire.Stanza) bool { return st.Kind() == "presence" && st.Type() == "unsubscribed" }},
	} {
		h := putKept(t, tr, c.raw)
		ctx, cancel := context.WithCancel(context.WithValue(context.Background(), replayKey{}, true))
		stop.set(cancel)
		tr.replayKept(ctx, h)
		if ctx.Err() == nil {
			t.Fatalf("%s: never handled", c.raw)
		}
		for !c.match(conn.Next(t)) {
		}
		recs, err := tr.db.HeldMessages(tr.name)
		if err != nil {
			t.Fatal(err)
		}
		kept := false
		for _, r := range recs {
			kept = kept || r.Seq == h.Seq
		}
		if kept != c.kept {
			t.Errorf("%s: record kept %v, want %v", c.raw, kept, c.kept)
		}
	}
}

// TestReplayReadErrorWaitsForLink: a user's message read (recorded as
// read, held_queue.go) and waiting when the gateway stopped, whose
// handling at the next start refuses it (an encrypted one), has its
// error sent once the link is up, and its record forgotten only then,
// as a kept stanza's answer is (stop_kept_sends.go). The replay starts
// once the plugin is ready, maybe before the link: the error failed at
// once on the link down and was dropped, the record forgotten all the
// same, and the sender never heard.
func TestReplayReadErrorWaitsForLink(t *testing.T) {
	tr := newTestTransport(t)
	tr.domain = "echo.localhost"
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: slog.New(slog.DiscardHandler)}) // never run
	tr.setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "l"})
	_, linkUp := componentLink(t, tr, nil)
	waiting := make(chan struct{})
	var once sync.Once
	seen := &stopAt{msg: "an answer to a stanza read as the gateway stopped was not written; sent again once the link is up"}
	seen.set(func() { once.Do(func() { close(waiting) }) })
	tr.log = slog.New(seen)

	raw := `<message type='chat' id='m1' from='alice@localhost/a' to='bob@echo.localhost'><body>[encrypted]</body>` +
		`<encrypted xmlns='eu.siacs.conversations.axolotl'/></message>`
	h := store.HeldMessage{LoginID: "l", ChatID: "bob", UserJID: "alice@localhost", To: "bob@echo.localhost", ID: "m1", Body: "[encrypted]", Stanza: []byte(raw)}
	var err error
	if h.Seq, err = tr.db.PutHeld(context.Background(), tr.name, h); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), replayKey{}, true))
	defer cancel()
	replayed := make(chan struct{})
	go func() {
		defer close(replayed)
		tr.replayOne(ctx, h)
	}()
	select {
	case <-waiting:
	case <-replayed:
	case <-time.After(keptLinkWait):
		t.Fatal("the replay neither ended nor waited for the link")
	}
	conn := linkUp()
	for {
		st := conn.Next(t)
		if st.Kind() == "message" && st.ID() == "m1" && st.Type() == "error" && st.To() == "alice@localhost/a" {
			break
		}
	}
	select {
	case <-replayed:
	case <-time.After(keptLinkWait):
		t.Fatal("the replay did not end once the link was up")
	}
	held, err := tr.db.HeldMessages(tr.name)
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 0 {
		t.Errorf("%d records left once answered: %+v", len(held), held)
	}
}
