package bridge

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
	"passerelle.im/passerelle/store"
)

// TestKeepAtStopKinds: at a stop, what waits for an answer is kept for
// the next start, and only that: an available presence (the start's
// probe asks again), a chat state, an error, an iq result and the
// gateway's own message come back are handled as before. A line of the
// gateway's chat (a login step's answer: a password, a code) and an iq
// set are kept as their envelope alone: no secret reaches the store.
func TestKeepAtStopKinds(t *testing.T) {
	tr := newTestTransport(t)
	tr.domain = "echo.localhost"
	// Down: an iq is kept only when the link writes no answer now.
	tr.link = xmpplink.New(xmpplink.Config{Addr: "127.0.0.1:1", Domain: tr.domain})
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		stanza string
		kept   bool
	}{
		{`<iq type='get' id='q1' from='alice@localhost/a' to='echo.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, true},
		{`<iq type='set' id='q2' from='alice@localhost/a' to='echo.localhost'><query xmlns='jabber:iq:register'><password>s3cret</password></query></iq>`, true},
		{`<presence type='subscribe' id='p1' from='alice@localhost' to='bob@echo.localhost'/>`, true},
		{`<presence type='unsubscribed' id='p2' from='alice@localhost' to='echo.localhost'/>`, true},
		{`<presence type='probe' id='p3' from='alice@localhost/a' to='bob@echo.localhost'/>`, true},
		{`<message type='chat' id='m1' from='mallory@localhost/a' to='echo.localhost'><body>help</body></message>`, true},
		{`<message type='chat' id='m4' from='alice@localhost/a' to='echo.localhost'><body>find s3cret</body></message>`, true},
		{`<message type='chat' id='m5' from='alice@localhost/a' to='echo.localhost/x'><body>s3cret</body></message>`, true},
		{`<message type='chat' id='m6' from='alice@localhost/a' to='echo.localhost'><body>s3cret</body><reactions xmlns='urn:xmpp:reactions:0' id='y'><reaction>👍</reaction></reactions></message>`, false},
		{`<message type='chat' id='m7' from='alice@localhost/a' to='echo.localhost'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`, false},
		{`<message type='chat' id='m2' from='alice@localhost/a' to='bob@echo.localhost'><replace xmlns='urn:xmpp:message-correct:0' id='x'/></message>`, true},
		{`<presence id='p4' from='alice@localhost/a' to='echo.localhost'/>`, false},
		{`<presence type='unavailable' id='p5' from='alice@localhost/a' to='echo.localhost'/>`, false},
		{`<message type='chat' id='m3' from='alice@localhost/a' to='bob@echo.localhost'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`, false},
		{`<message type='chat' id='xm4' from='alice@localhost' to='bob@echo.localhost'><body>mine, from my phone</body></message>`, false},
		{`<iq type='result' id='q3' from='alice@localhost/a' to='echo.localhost'/>`, false},
	} {
		st, err := wire.Parse(c.stanza)
		if err != nil {
			t.Fatal(err)
		}
		before, err := tr.db.HeldMessages(tr.name)
		if err != nil {
			t.Fatal(err)
		}
		if got := tr.keepAtStop(stopped, st); got != c.kept {
			t.Errorf("%s: kept %v, want %v", c.stanza, got, c.kept)
		}
		after, err := tr.db.HeldMessages(tr.name)
		if err != nil {
			t.Fatal(err)
		}
		if recorded := len(after) > len(before); recorded != c.kept {
			t.Errorf("%s: recorded %v, want %v", c.stanza, recorded, c.kept)
		}
		for _, h := range after[len(before):] {
			if st.Kind() == "iq" && st.Type() == "set" && strings.Contains(string(h.Stanza), "query") {
				t.Errorf("an iq set kept with its payload (a password, a code): %s", h.Stanza)
			}
			if strings.Contains(string(h.Stanza), "s3cret") || strings.Contains(h.Body, "s3cret") {
				t.Errorf("kept with its secret: %s", h.Stanza)
			}
		}
		if tr.keepAtStop(context.Background(), st) {
			t.Errorf("%s: kept while the gateway runs", c.stanza)
		}
	}
}

// TestKeepAtStopReadRecordFailed: a message whose record, written as it
// was read, failed (here a login ID the store refuses) is still kept
// at a stop. Taken as written, it was lost: neither handled nor kept.
func TestKeepAtStopReadRecordFailed(t *testing.T) {
	tr, st, stopped := readRecordFailed(t)
	if !tr.keepAtStop(stopped, st) {
		t.Fatal("not kept at the stop")
	}
	tr.bg.Stop()
	held, err := tr.db.HeldMessages(tr.name)
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 1 || !strings.Contains(string(held[0].Stanza), "hi") {
		t.Errorf("kept at the stop, its record failed: %d records, want it once: %+v", len(held), held)
	}
}

// TestKeepReadAtStopRecordFailed: a message that waited in its worker
// when the stop began (keepReadAtStop), whose record written as it was
// read failed (a login ID the store refuses), is kept as its stanza
// alone. Taken as kept on its record's handle alone, it was lost.
func TestKeepReadAtStopRecordFailed(t *testing.T) {
	tr, st, stopped := readRecordFailed(t)
	if !tr.keepReadAtStop(stopped, st) {
		t.Fatal("answered at the stop")
	}
	tr.bg.Stop()
	held, err := tr.db.HeldMessages(tr.name)
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 1 || held[0].LoginID != keptLogin || !strings.Contains(string(held[0].Stanza), "hi") {
		t.Errorf("waiting at the stop, its record failed: %d records, want it kept once: %+v", len(held), held)
	}
}

// TestReplayKeptStopWhileHandled: a stanza kept at a stop whose handling
// at the next start a stop cuts is kept for the start after, once: what
// its handling sent then (a disco#info's answer, a subscription's, a
// message's error) went on the ended context and did not go out. Its
// record was forgotten all the same: the sender never heard. The stop
// begins as the replay logs its start (stopAt), after the replay's own
// checks of its context and of the link (up: it waits for it), before
// the handling.
func TestReplayKeptStopWhileHandled(t *testing.T) {
	tr := newTestTransport(t)
	tr.domain = "echo.localhost"
	// Up: stop_kept_link_internal_test.go.
	_, up := componentLink(t, tr, nil)
	up()
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: slog.New(slog.DiscardHandler)}) // never run
	tr.access = config.Access{Allow: []string{"localhost"}}
	stop := &stopAt{msg: "handling a stanza read as the gateway stopped"}
	tr.log = slog.New(stop)
	var seqs []uint64
	for _, raw := range []string{
		`<iq type='get' id='q1' from='l@localhost/a' to='echo.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`,
		`<presence type='subscribe' id='p1' from='l@localhost' to='bob@echo.localhost'/>`,
		`<message type='chat' id='m1' from='l@localhost/a' to='bob@echo.localhost'><body>hi</body></message>`,
	} {
		h := putKept(t, tr, raw)
		seqs = append(seqs, h.Seq)
		ctx, cancel := context.WithCancel(context.WithValue(context.Background(), replayKey{}, true))
		stop.set(cancel)
		tr.replayKept(ctx, h)
		if ctx.Err() == nil {
			t.Fatalf("%s: never handled", raw)
		}
	}
	tr.bg.Stop()
	held, err := tr.db.HeldMessages(tr.name)
	if err != nil {
		t.Fatal(err)
	}
	got := map[uint64]bool{}
	for _, h := range held {
		got[h.Seq] = true
	}
	for i, seq := range seqs {
		if !got[seq] {
			t.Errorf("record %d (seq %d) forgotten though a stop cut its handling", i, seq)
		}
	}
	if len(held) != len(seqs) {
		t.Errorf("%d records, want each kept once (%d): %+v", len(held), len(seqs), held)
	}
}

// stopAt is a log handler that ends a context (a stop beginning) when
// the log says msg.
type stopAt struct {
	msg    string
	mu     sync.Mutex
	cancel context.CancelFunc
}

func (s *stopAt) set(cancel context.CancelFunc) {
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
}

func (s *stopAt) Enabled(context.Context, slog.Level) bool { return true }
func (s *stopAt) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *stopAt) WithGroup(string) slog.Handler            { return s }

func (s *stopAt) Handle(_ context.Context, r slog.Record) error {
	if r.Message == s.msg {
		s.mu.Lock()
		s.cancel()
		s.mu.Unlock()
	}
	return nil
}

// readRecordFailed is a transport where bob's message was read and its
// record failed (a login ID the store refuses), and a context ended as
// by the stop.
func readRecordFailed(t *testing.T) (*transport, *wire.Stanza, context.Context) {
	t.Helper()
	tr := newTestTransport(t)
	tr.domain = "echo.localhost"
	s := &session{t: tr, user: "bob@localhost", loginID: "b\x00", login: store.Login{Transport: "echo", UserJID: "bob@localhost", LoginID: "b\x00"}}
	tr.sessions[s.user], tr.byLogin[s.loginID] = s, s
	st, err := wire.Parse(`<message type='chat' id='m1' from='bob@localhost/a' to='carol@echo.localhost'><body>hi</body></message>`)
	if err != nil {
		t.Fatal(err)
	}
	tr.readStanza(st)
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	return tr, st, stopped
}

// putKept records raw as a stanza kept at a stop (keepStanza's record),
// to be replayed (replayKept).
func putKept(t *testing.T, tr *transport, raw string) store.HeldMessage {
	t.Helper()
	st, err := wire.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	h := store.HeldMessage{LoginID: keptLogin, UserJID: bareOf(st.From()), To: st.To(), ID: st.ID(), Stanza: []byte(raw)}
	if h.Seq, err = tr.db.PutHeld(context.Background(), tr.name, h); err != nil {
		t.Fatal(err)
	}
	return h
}
