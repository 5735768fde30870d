package xmpplink

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/prosodytest"
)

// TestTooLargeStanzaProsody: a message, an IQ result and a presence over
// the server's stanza size limit are not written: the message's
// recipient gets a short notice instead, the IQ's requester an error,
// the presence is dropped; each is confirmed (it leaves the outbox), and
// the link stays up for what follows. Before, Prosody closed the stream
// at the first of them, and the gateway wrote it again on every
// reconnect, forever.
func TestTooLargeStanzaProsody(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	var mu sync.Mutex
	var got []*wire.Stanza
	l, logs := run(t, srv, "s", func(st *wire.Stanza) {
		mu.Lock()
		got = append(got, st)
		mu.Unlock()
	})
	waitUp(t, l)
	gen := l.Generation()
	// Prosody checks its limit between reads: a stanza just over it may
	// pass, one twice as large never does.
	big := strings.Repeat("x", 2*DefaultMaxStanzaBytes)
	stanzas := map[string]string{
		"message":  `<message from="a@gw.localhost" to="b@gw.localhost" type="chat" id="m1"><body>` + big + `</body></message>`,
		"iq":       `<iq from="a@gw.localhost" to="b@gw.localhost" type="result" id="q1"><vCard xmlns="vcard-temp"><DESC>` + big + `</DESC></vCard></iq>`,
		"presence": `<presence from="a@gw.localhost" to="b@gw.localhost"><status>` + big + `</status></presence>`,
		"after":    `<message from="a@gw.localhost" to="b@gw.localhost" type="chat" id="m2"><body>after</body></message>`,
	}
	var conf confirmations
	for _, name := range []string{"message", "iq", "presence", "after"} {
		if err := l.SendConfirmed(context.Background(), gen, []byte(stanzas[name]), conf.cb(name)); err != nil {
			t.Fatal(err)
		}
	}
	for name, err := range conf.wait(t, "message", "iq", "presence", "after") {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("got %d stanzas back, want the notice, the error and the message after: %v\n%s", len(got), got, logs)
	}
	if b, _ := got[0].Body(); got[0].ID() != "m1" || !strings.Contains(b, "did not deliver a stanza of") {
		t.Errorf("notice: %+v", got[0])
	}
	if cond, _ := got[1].ErrorCondition(); got[1].Kind() != "iq" || got[1].ID() != "q1" || cond != string(wire.PolicyViolation) || got[1].To() != "b@gw.localhost" && got[1].From() != "b@gw.localhost" {
		t.Errorf("IQ error: %+v", got[1])
	}
	if b, _ := got[2].Body(); b != "after" {
		t.Errorf("after: %+v", got[2])
	}
	if l.Generation() != gen {
		t.Errorf("the link reconnected:\n%s", logs)
	}
	if n := strings.Count(logs.String(), "stanza too large for the XMPP server; not written"); n != 3 {
		t.Errorf("%d stanzas logged as too large, want 3:\n%s", n, logs)
	}
}

// TestTooLargeRequestAnsweredAtOnce: a request of the gateway's own (an
// avatar published, a roster pushed) over the limit is not written, and
// its sender gets the error answer at once instead of waiting out its
// timeout for an answer that cannot come.
func TestTooLargeRequestAnsweredAtOnce(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	l, _ := run(t, srv, "s", nil)
	waitUp(t, l)
	id := l.NewID()
	big := strings.Repeat("x", 2*DefaultMaxStanzaBytes)
	req := `<iq from="gw.localhost" to="localhost" type="set" id="` + id + `"><query xmlns="jabber:iq:private"><x xmlns="p:x">` + big + `</x></query></iq>`
	// Without the answer the call would end with the context only.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := l.IQ(ctx, id, []byte(req))
	if err != nil {
		t.Fatalf("IQ: %v, want the error answer", err)
	}
	if cond, text := st.ErrorCondition(); st.Type() != "error" || st.ID() != id || cond != string(wire.PolicyViolation) || !strings.Contains(text, "did not send its request") {
		t.Errorf("answer %+v (%s: %s)", st, cond, text)
	}
	// The link is still up and answers.
	if st := ping(t, l, "localhost"); st.Type() != "result" {
		t.Errorf("ping after: %+v", st)
	}
}
