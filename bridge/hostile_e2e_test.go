package bridge_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestMalformedContactAddress: \{0}@transport unescapes to a remote ID
// holding a NUL. A message, a subscription and an IQ to it are refused
// before they reach the plugin; the transport goes on working and its
// plugin is never restarted. (A message to it once wedged the transport:
// the plugin's echo named a chat the store refused, and the host restarted
// the plugin, which replayed the event forever.)
func TestMalformedContactAddress(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	nul := `\{0}@` + domain
	errorFrom := func(id string) xmpptest.Stanza {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool { return s.ID == id && s.Type == "error" })
		if err != nil {
			t.Fatalf("no error for %s: %v", id, err)
		}
		return st
	}
	for _, to := range []string{nul, `a\{9}b@` + domain, `\{7f}@` + domain} {
		raw(t, alice, `<message type='chat' id='bad1' to='`+to+`'><body>hello?</body></message>`)
		if e := errorFrom("bad1"); e.Err == nil || e.Err.Condition != "jid-malformed" {
			t.Fatalf("message to %s: want jid-malformed, got %s", to, e.XML)
		}
	}
	st, err := alice.IQ(ctxT(t), `<iq type='get' id='bad2' to='`+nul+`'><vCard xmlns='vcard-temp'/></iq>`)
	if err != nil || st.Err == nil || st.Err.Condition != "jid-malformed" {
		t.Fatalf("vCard of %s: want jid-malformed, got %v %s", nul, err, st.XML)
	}
	// Prosody does not pass on the refusal (unsubscribed) of an address
	// it holds no roster item for: the log tells it was refused.
	raw(t, alice, `<presence type='subscribe' to='`+nul+`'/>`)
	s.logs.waitLog(t, "type=subscribe from=alice@localhost to="+nul, timeout)
	echoOK(t, alice, "still here", timeout)
	if n := s.logs.Count("restarting"); n != 0 {
		t.Errorf("the plugin was restarted %d times", n)
	}
	if n := s.logs.Count("stanza to a malformed contact address refused"); n != 5 {
		t.Errorf("%d stanzas to malformed addresses refused, want 5", n)
	}
	if strings.Contains(s.logs.String(), "invalid argument") {
		t.Errorf("the store was handed a malformed ID:\n%s", s.logs)
	}
}

// TestRemovedFromAllow: a user taken out of access.allow after
// registering gets no more vCards, avatars or contact lookups
// (not-allowed), and can still unregister.
func TestRemovedFromAllow(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	s.stop()
	cfg, err := os.ReadFile(s.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.Replace(cfg, []byte(`allow = ["localhost"]`), []byte(`allow = ["bob@localhost"]`), 1)
	if err := os.WriteFile(s.cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	s.start()
	s.waitGateway(alice)
	for what, iq := range map[string]string{
		"vCard":  `<iq type='get' to='echo-1@` + domain + `'><vCard xmlns='vcard-temp'/></iq>`,
		"avatar": `<iq type='get' to='echo-1@` + domain + `'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:avatar:metadata'/></pubsub></iq>`,
		"lookup": `<iq type='set' to='` + domain + `'><query xmlns='jabber:iq:gateway'><prompt>echo-2</prompt></query></iq>`,
	} {
		st, err := alice.IQ(ctxT(t), iq)
		if err != nil || st.Err == nil || st.Err.Condition != "not-allowed" {
			t.Errorf("%s: want not-allowed, got %v %s", what, err, st.XML)
		}
	}
	st, err := alice.IQ(ctxT(t), `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><remove/></query></iq>`)
	if err != nil || st.Type != "result" {
		t.Fatalf("unregister: %v %s", err, st.XML)
	}
}

// TestTextXMLCannotCarry: a contact's message holding what XML 1.0
// cannot carry (IRC's formatting codes, a terminal escape, U+FFFE)
// reaches the user with U+FFFD in place of each, in a chat and in a room,
// and the transport goes on. Before, the server closed the component's
// stream at that stanza, and again at each replay of the event: one
// message from anyone on the network wedged the transport for every user.
func TestTextXMLCannotCarry(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	sendChat(t, alice, bob, `say-escaped bold \x02text\x02, colour \x0304red\x03, bell \x07, escape \x1b[31m, \uFFFE end`)
	want := "bold \uFFFDtext\uFFFD, colour \uFFFD04red\uFFFD, bell \uFFFD, escape \uFFFD[31m, \uFFFD end"
	if got := nextMessage(t, alice, bob, timeout); got.Body != want {
		t.Fatalf("got %q (%s), want %q", got.Body, got.XML, want)
	}
	echoOK(t, alice, "still here", timeout)
	if n := s.logs.Count("component link down"); n != 0 {
		t.Fatalf("the component link went down %d times:\n%s", n, s.logs)
	}
}
