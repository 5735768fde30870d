package bridge_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestEcho walks the whole foundation path through a real Prosody: service
// discovery, version, ping, in-band registration, a message echoed by the
// plugin process, the error cases, and unregistration.
func TestEcho(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	ctx := ctxT(t)

	info, err := alice.IQ(ctx, `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`category="gateway"`, `type="echo"`, `jabber:iq:register`, `urn:xmpp:ping`, `jabber:iq:version`} {
		if !strings.Contains(info.XML, want) {
			t.Errorf("disco#info lacks %s: %s", want, info.XML)
		}
	}
	ver, err := alice.IQ(ctx, `<iq type='get' to='`+domain+`'><query xmlns='jabber:iq:version'/></iq>`)
	if err != nil || ver.Type != "result" || !strings.Contains(ver.XML, "<name>passerelle</name>") {
		t.Errorf("version: %v %s", err, ver.XML)
	}
	ping, err := alice.IQ(ctx, `<iq type='get' to='`+domain+`'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if err != nil || ping.Type != "result" {
		t.Errorf("ping gateway: %v %s", err, ping.XML)
	}
	ping, err = alice.IQ(ctx, `<iq type='get' to='bob@`+domain+`'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if err != nil || ping.Type != "result" {
		t.Errorf("ping puppet: %v %s", err, ping.XML)
	}
	unknown, err := alice.IQ(ctx, `<iq type='get' to='`+domain+`'><query xmlns='urn:example:nothing'/></iq>`)
	if err != nil || unknown.Err == nil || unknown.Err.Condition != "service-unavailable" {
		t.Errorf("unknown iq: want service-unavailable, got %v %s", err, unknown.XML)
	}

	// Before registering: a message to a puppet is refused, not dropped.
	id := sendChat(t, alice, "bob@"+domain, "too early")
	st := nextMessage(t, alice, "bob@"+domain, timeout)
	if st.Type != "error" || st.Err.Condition != "registration-required" || st.ID != id {
		t.Fatalf("want registration-required for %s, got %s", id, st.XML)
	}

	form, err := alice.IQ(ctx, `<iq type='get' to='`+domain+`'><query xmlns='jabber:iq:register'/></iq>`)
	if err != nil || form.Type != "result" || !strings.Contains(form.XML, "<username") || !strings.Contains(form.XML, `var="username"`) {
		t.Fatalf("registration form: %v %s", err, form.XML)
	}
	if strings.Contains(form.XML, "<registered") {
		t.Fatalf("not registered yet, but form says so: %s", form.XML)
	}
	if r := register(t, alice, "alice-echo"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	form, err = alice.IQ(ctx, `<iq type='get' to='`+domain+`'><query xmlns='jabber:iq:register'/></iq>`)
	if err != nil || !strings.Contains(form.XML, "<registered") {
		t.Fatalf("after registering, the form must say registered: %v %s", err, form.XML)
	}

	// The echo: same body, from the same puppet JID, with XEP-0359 ids.
	sendChat(t, alice, "bob@"+domain, "hello <world> & all")
	st = nextMessage(t, alice, "bob@"+domain, timeout)
	if st.Type != "chat" || st.Body != "hello <world> & all" {
		t.Fatalf("echo: %s", st.XML)
	}
	if !strings.Contains(st.XML, "<origin-id") || !strings.Contains(st.XML, "urn:xmpp:sid:0") {
		t.Errorf("echo lacks its origin-id: %s", st.XML)
	}
	if strings.Contains(st.XML, "<stanza-id") {
		// XEP-0359: only the user's own server assigns stanza-ids in a
		// one-to-one chat.
		t.Errorf("echo carries a stanza-id a client must not trust: %s", st.XML)
	}

	// XEP-0106: a remote ID with characters a localpart cannot hold.
	sendChat(t, alice, `joe\20smith\40work@`+domain, "escaped")
	st = nextMessage(t, alice, `joe\20smith\40work@`+domain, timeout)
	if st.Body != "escaped" {
		t.Fatalf("escaped puppet: %s", st.XML)
	}

	// A contact the network does not have.
	id = sendChat(t, alice, "nobody@"+domain, "anyone?")
	st = nextMessage(t, alice, "nobody@"+domain, timeout)
	if st.Err == nil || st.Err.Condition != "item-not-found" || st.ID != id {
		t.Fatalf("want item-not-found, got %s", st.XML)
	}

	// Oversized body: refused with the limit in the text.
	sendChat(t, alice, "bob@"+domain, strings.Repeat("x", 1001))
	st = nextMessage(t, alice, "bob@"+domain, timeout)
	if st.Err == nil || st.Err.Condition != "policy-violation" || !strings.Contains(st.Err.Text, "1000") {
		t.Fatalf("want policy-violation, got %s", st.XML)
	}

	// Unregister: the login is gone, messages need registration again.
	r, err := alice.IQ(ctx, `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><remove/></query></iq>`)
	if err != nil || r.Type != "result" {
		t.Fatalf("unregister: %v %s", err, r.XML)
	}
	sendChat(t, alice, "bob@"+domain, "gone?")
	st = nextMessage(t, alice, "bob@"+domain, timeout)
	if st.Err == nil || st.Err.Condition != "registration-required" {
		t.Fatalf("after unregistering want registration-required, got %s", st.XML)
	}
	// A second is registration-required (XEP-0077 §3.2): nothing of
	// alice's is left (a user who logged out is still the gateway's to
	// unregister: TestRemoveNotRegistered).
	r, err = alice.IQ(ctx, `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><remove/></query></iq>`)
	if err != nil || r.Err == nil || r.Err.Condition != "registration-required" {
		t.Fatalf("second unregister: %v %s, want registration-required", err, r.XML)
	}
}

// TestRegistrationInputErrors: an empty username is refused with the
// plugin's own words, and nothing is stored.
func TestRegistrationInputErrors(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	r := register(t, alice, "  ")
	if r.Err == nil || r.Err.Condition != "not-acceptable" || !strings.Contains(r.Err.Text, "must not be empty") {
		t.Fatalf("want not-acceptable with the plugin's text, got %s", r.XML)
	}
	sendChat(t, alice, "bob@"+domain, "hi")
	if st := nextMessage(t, alice, "bob@"+domain, timeout); st.Err == nil || st.Err.Condition != "registration-required" {
		t.Fatalf("a failed registration must not register: %s", st.XML)
	}
	// Two XMPP users cannot bridge the same network account.
	if r := register(t, alice, "shared"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	bob := s.user("bob")
	if r := register(t, bob, "shared"); r.Err == nil || r.Err.Condition != "conflict" {
		t.Fatalf("want conflict, got %s", r.XML)
	}
}

// TestNotAllowed: a JID outside access.allow gets not-allowed for
// registration and messages.
func TestNotAllowed(t *testing.T) {
	s := newStack(t, stackOptions{allow: `"alice@localhost"`})
	mallory := s.user("mallory")
	s.waitGateway(mallory)
	r := register(t, mallory, "mallory")
	if r.Err == nil || r.Err.Condition != "not-allowed" {
		t.Fatalf("register: want not-allowed, got %s", r.XML)
	}
	sendChat(t, mallory, "bob@"+domain, "let me in")
	if st := nextMessage(t, mallory, "bob@"+domain, timeout); st.Err == nil || st.Err.Condition != "not-allowed" {
		t.Fatalf("message: want not-allowed, got %s", st.XML)
	}
	alice := s.user("alice")
	if r := register(t, alice, "alice"); r.Type != "result" {
		t.Fatalf("alice is allowed: %s", r.XML)
	}
}

// echoOK sends one message and waits for its echo.
func echoOK(t *testing.T, c *xmpptest.Client, body string, within time.Duration) {
	t.Helper()
	sendChat(t, c, "bob@"+domain, body)
	// Receipts and markers for earlier messages may come first.
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	st, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.Name == "message" && bareJID(s.From) == "bob@"+domain && (s.Body != "" || s.Type == "error")
	})
	if err != nil {
		t.Fatalf("no echo of %q: %v", body, err)
	}
	if st.Body != body {
		t.Fatalf("want echo %q, got %s", body, st.XML)
	}
}

// TestPluginKilled: SIGKILL the plugin; the gateway restarts it, connects
// the login again, and the next message is echoed within 5 s.
func TestPluginKilled(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	old := s.killPlugin()
	echoOK(t, alice, "after the crash", 5*time.Second)
	if pid := s.pluginPID(); pid == old {
		t.Fatalf("plugin pid unchanged (%d): not restarted?", pid)
	}
	s.logs.waitLog(t, "transport plugin stopped; restarting", time.Second)
}

// TestServerRestart: Prosody stops and starts again; the gateway
// reconnects on its own and echoes within 5 s of the server being back.
func TestServerRestart(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	if err := s.srv.Stop(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if err := s.srv.Start(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	alice = s.login("alice")
	for {
		sendChat(t, alice, "bob@"+domain, "after the restart")
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool { return s.Name == "message" && bareJID(s.From) == "bob@"+domain })
		cancel()
		if err == nil && st.Body == "after the restart" {
			break
		}
		// Until the component is back, the server itself bounces the
		// message; that is expected, not a loss by the gateway.
		if time.Since(back) > 5*time.Second {
			t.Fatalf("no echo within 5 s of the server being back (last: %v %s)", err, st.XML)
		}
	}
}

// TestGatewayRestart: logins survive a restart of the gateway; no new
// registration is needed.
func TestGatewayRestart(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "first run", timeout)
	s.stop()
	s.start()
	s.waitGateway(alice)
	echoOK(t, alice, "second run", timeout)
}

// TestGatewayStopWaitsForCommands: a stop of the gateway while the
// plugin is still sending a message (its echo out, its confirmation not
// yet: "slow") waits for the confirmation, so the next start does not
// take the message for one never answered and send it again: the next
// echo is of the next message.
func TestGatewayStopWaitsForCommands(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	sendChat(t, alice, "bob@"+domain, "slow one")
	if st := nextMessage(t, alice, "bob@"+domain, timeout); st.Body != "slow one" {
		t.Fatalf("want the echo of the slow message, got %s", st.XML)
	}
	s.stop()
	s.start()
	s.waitGateway(alice)
	sendChat(t, alice, "bob@"+domain, "after")
	if st := nextMessage(t, alice, "bob@"+domain, timeout); st.Body != "after" {
		t.Fatalf("after the restart: %s, want the echo of the next message (the slow one was sent again)", st.XML)
	}
}

// TestWrongSecret: a clear log line naming the transport and the server,
// and no tight reconnect loop.
func TestWrongSecret(t *testing.T) {
	s := newStack(t, stackOptions{secret: "wrong"})
	s.logs.waitLog(t, "component handshake refused", timeout)
	line := ""
	for _, l := range strings.Split(s.logs.String(), "\n") {
		if strings.Contains(l, "component handshake refused") {
			line = l
			break
		}
	}
	// Where the secret came from: the file's secret, a secret_file or
	// the environment (one may hide another), said with the refusal.
	for _, want := range []string{"transport=echo", "server=" + s.srv.ComponentAddr(), "component=" + domain, "secret_from=secret"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %q: %s", want, line)
		}
	}
	time.Sleep(3 * time.Second)
	if n := s.logs.Count("component handshake refused"); n > 1 {
		t.Errorf("%d handshake attempts in 3 s after a refusal: a tight loop", n)
	}
	alice := s.user("alice")
	st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || st.Err == nil {
		t.Fatalf("with the component down the server must answer an error: %v %s", err, st.XML)
	}
}

// TestPluginNotAPlugin: a plugin binary that is not a passerelle plugin
// never runs; users get service-unavailable, not silence, and the gateway
// keeps serving XMPP.
func TestPluginNotAPlugin(t *testing.T) {
	s := newStack(t, stackOptions{plugin: "/bin/true"})
	alice := s.user("alice")
	s.waitGateway(alice)
	s.logs.waitLog(t, "transport plugin failed to start; trying again", timeout)
	r := register(t, alice, "alice")
	if r.Err == nil || r.Err.Condition != "service-unavailable" {
		t.Fatalf("want service-unavailable, got %s", r.XML)
	}
}
