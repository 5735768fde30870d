package irc_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// The login walked as a user walks it, both ways a user has, through the
// real gateway (Prosody, the plugin binary, Debian's ngircd on loopback):
// the chat's login (one prompt a field) and the registration form or
// the login command's form; then a channel as a room, both ways.

// slowWait is how long the walk waits for what a TLS handshake with a
// port that never answers holds up: the plugin gives it 30 s (dial), the
// login command's answer comes after the plugin's Connect returns, at
// most ConnectWait later.
const slowWait = 60 * time.Second

// gatewayChat is a user's chat with the transport's JID: say sends a
// line, hear waits for the transport's next chat message and checks it
// says each of want (the dialogue goes to the test's log).
func gatewayChat(t *testing.T, g *gatewaytest.Gateway, c *xmpptest.Client) (say func(string), hear func(want ...string) string) {
	say = func(text string) {
		t.Helper()
		t.Logf("> %s", text)
		g.SendChat(c, g.Domain, text)
	}
	hear = func(want ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), slowWait)
		defer cancel()
		m, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && s.From == g.Domain && (s.Body != "" || s.Type == "error")
		})
		if err != nil {
			t.Fatalf("no message from the gateway saying %q: %v", want, err)
		}
		t.Logf("< %s", m.Body)
		if m.Type == "error" {
			t.Fatalf("an error while waiting for %q: %s", want, m.XML)
		}
		for _, w := range want {
			if !strings.Contains(m.Body, w) {
				t.Fatalf("the gateway said %q, want it to say %q", m.Body, w)
			}
		}
		return m.Body
	}
	return say, hear
}

// gatewayStatus waits for the transport's presence whose status says
// each of want, and returns that status.
func gatewayStatus(t *testing.T, g *gatewaytest.Gateway, c *xmpptest.Client, what string, want ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), slowWait)
	defer cancel()
	st, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
		if s.Name != "presence" || s.From != g.Domain {
			return false
		}
		for _, w := range want {
			if !strings.Contains(s.XML, w) {
				return false
			}
		}
		return true
	})
	if err != nil {
		t.Fatalf("no %s: %v", what, err)
	}
	t.Logf("status: %s", st.XML)
	return st.XML
}

// talkInRoom joins channel's room as the user, and has one line said
// each way between the user and dave, on the server and in it.
func talkInRoom(t *testing.T, g *gatewaytest.Gateway, c *xmpptest.Client, dave ircUser, channel, nick string) {
	t.Helper()
	room := g.JID(channel)
	if self := joinRoom(g, c, room, nick); self.Type == "error" {
		t.Fatalf("join of %s: %s", room, self.XML)
	}
	if err := dave.conn.Privmsg(channel, "hello "+nick); err != nil {
		t.Fatal(err)
	}
	groupchat(g, c, room, "dave", "hello "+nick)
	sendGroupchat(g, c, room, "hello dave, from "+nick)
	if m := awaitIn(dave.client, channel, "hello dave, from "+nick); m.Nick() != nick {
		t.Errorf("the room's line reached the channel from %s, want %s", m.Nick(), nick)
	}
}

// TestEndToEndChatLoginWalk: a user logs in by chatting "login" to the
// transport, as a user of a client without ad-hoc commands does, to an
// ngircd on loopback without TLS. Each prompt says what to type, the
// TLS one how to answer for a server without TLS; "-" takes a default,
// and is refused for the nick; a wrong yes/no is asked again alone;
// "done" sends the rest with their defaults. The TLS default against the
// plain port fails with the reason in the gateway's status; the user
// logs out, logs in again with TLS off and a nick the plugin refuses,
// sees why above the numbered list of their answers, changes that one,
// and is in: the channel of the form is a room, both ways. Before, the
// TLS prompt was "TLS? (yes/no)" alone, the nick's "Nick?" alone, the
// port's said a port after the server "wins" (both must agree), and the
// ports without TLS were asked as "With TLS on only: ports without TLS,
// after the TLS ones?".
func TestEndToEndChatLoginWalk(t *testing.T) {
	s := startNgircd(t)
	dave := ircUser{newClient(t, s, "dave")}
	dave.join("#walk")
	g := startIRCGateway(t)
	alice := g.User("alice")
	g.WaitReady(alice)
	say, hear := gatewayChat(t, g, alice)
	port := strconv.Itoa(s.port)

	// First, as a user who takes the defaults.
	say("login")
	hear("Connect to an IRC server.", "Server?", "such as irc.libera.chat")
	say("127.0.0.1")
	if p := hear("Port", "6667 without", "Send - (or skip) to leave it empty"); strings.Contains(p, "wins") {
		// A port both after the server and here is refused unless
		// they agree: neither wins.
		t.Errorf("the port's prompt says one of two ports wins: %q", p)
	}
	say(port)
	hear("TLS?", "(yes/no)", "Default: yes.", "no for a server without TLS")
	say("-")
	// The question is the label: it reads as one.
	hear("Fallback ports without TLS (with TLS on)?", "Leave empty with TLS off")
	say("-")
	hear("fingerprint", "Send - (or skip) to leave it empty")
	say("-")
	hear("Nick?", "such as")
	say("-")
	hear("Nick must be answered")
	hear("Nick?")
	say("alice")
	hear("Channels?", "#go-nuts", "done to send the form")
	say("#walk")
	hear("Server password?", "done to send the form")
	say("done")
	// TLS against ngircd's plain port: the handshake gets no answer;
	// the login's answer waits for it and says why and what to change,
	// as the status does.
	hear("logged in", "alice on 127.0.0.1", "connecting failed", "turn TLS off")
	gatewayStatus(t, g, alice, "the TLS login's failure", "turn TLS off")
	say("status")
	hear("transient disconnect", "turn TLS off")

	// A second login is refused while this one lasts: log out first.
	say("login")
	hear("already logged in", "logout")
	say("logout")
	hear("logged out")

	say("login")
	hear("Server?")
	say("127.0.0.1")
	hear("Port")
	say(port)
	hear("TLS?")
	say("maybe")
	hear(`answer yes or no, not "maybe"`)
	hear("TLS?")
	say("no")
	hear("Fallback ports without TLS", "Leave empty with TLS off")
	say("-")
	hear("fingerprint")
	say("-")
	hear("Nick?")
	// A nick the plugin refuses: IRC's nicks start with no digit.
	say("9alice")
	hear("Channels?")
	say("#walk")
	hear("Server password?")
	say("done")
	review := hear("The nick must be one word, not starting with a digit", "Your answers:",
		"1. Server: 127.0.0.1", "2. Port, if the server names none: "+port, "3. TLS: no", "4. Fallback ports without TLS (with TLS on): (empty)", "6. Nick: 9alice", "7. Channels: #walk",
		"Send a field's number to change it")
	n := ""
	for _, line := range strings.Split(review, "\n") {
		if strings.Contains(line, "Nick: 9alice") {
			n, _, _ = strings.Cut(strings.TrimSpace(line), ".")
		}
	}
	say(n)
	hear("Nick?", "Default: 9alice.")
	say("alice")
	hear("Your answers:", "Nick: alice")
	say("done")
	hear("logged in", "alice on 127.0.0.1", "Connected.")
	gatewayStatus(t, g, alice, "the login's connected status", "connected to 127.0.0.1")
	awaitJoin(dave.client, "#walk", "dave")
	talkInRoom(t, g, alice, dave, "#walk", "alice")
}

// registerForm sends a registration (XEP-0077) with a data form of
// fields, as a client fills the form the gateway gave.
func registerForm(t *testing.T, c *xmpptest.Client, domain string, fields map[string]string) xmpptest.Stanza {
	t.Helper()
	var b strings.Builder
	b.WriteString(`<iq type='set' to='` + gatewaytest.Escape(domain) + `'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>`)
	b.WriteString(`<field var='FORM_TYPE' type='hidden'><value>jabber:iq:register</value></field>`)
	for k, v := range fields {
		b.WriteString(`<field var='` + gatewaytest.Escape(k) + `'><value>` + gatewaytest.Escape(v) + `</value></field>`)
	}
	b.WriteString(`</x></query></iq>`)
	ctx, cancel := context.WithTimeout(context.Background(), slowWait)
	defer cancel()
	r, err := c.IQ(ctx, b.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("registration: %s", r.XML)
	return r
}

// TestEndToEndFormLoginWalk: the login's form, as a client shows it,
// both ways: alice registers (XEP-0077: the data form of the login's
// fields, with their labels, descriptions and defaults), bob runs the
// login command (XEP-0050). Each first sends a form the plugin refuses
// and hears why: the registration's error text; the command's error note
// with the form again, filled as bob filled it (before, it came back
// blank, TLS on again). Then each logs in with TLS off to ngircd's plain
// port, joins the channel as a room and talks with dave. Carol's login
// with a SASL account ends saying ngircd offers no SASL and to log in
// without it (before: ircevent's "SASL setup timed out. Does the server
// support SASL?"). Dan's, to a port nothing listens on, says to check
// the port (before: only "connection refused").
func TestEndToEndFormLoginWalk(t *testing.T) {
	s := startNgircd(t)
	dave := ircUser{newClient(t, s, "dave")}
	dave.join("#forms")
	g := startIRCGateway(t)
	alice, bob := g.User("alice"), g.User("bob")
	g.WaitReady(alice)
	g.WaitReady(bob)
	port := strconv.Itoa(s.port)

	// XEP-0077.
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	form, err := alice.IQ(ctx, `<iq type='get' to='`+g.Domain+`'><query xmlns='jabber:iq:register'/></iq>`)
	if err != nil || form.Type != "result" {
		t.Fatalf("registration form: %v %s", err, form.XML)
	}
	t.Logf("registration form: %s", form.XML)
	for _, want := range []string{
		"Connect to an IRC server.", `var="server"`, `label="Server"`, "such as irc.libera.chat",
		"no for a server without TLS", `var="nick"`, "The name others see you by",
	} {
		if !strings.Contains(form.XML, want) {
			t.Errorf("the registration form lacks %q", want)
		}
	}
	// The TLS field, a checkbox ticked (Prosody does not keep the
	// attributes' order).
	tlsField := ""
	if i := strings.Index(form.XML, `var="tls"`); i >= 0 {
		start := strings.LastIndex(form.XML[:i], "<field")
		tlsField, _, _ = strings.Cut(form.XML[start:], "</field>")
	}
	for _, want := range []string{`label="TLS"`, `type="boolean"`, "<value>true</value>"} {
		if !strings.Contains(tlsField, want) {
			t.Errorf("the registration form's TLS field lacks %q: %s", want, tlsField)
		}
	}
	fields := map[string]string{"server": "127.0.0.1", "port": port, "tls": "0", "nick": "9alice", "channels": "#forms"}
	if r := registerForm(t, alice, g.Domain, fields); r.Err == nil || !strings.Contains(r.Err.Text, "The nick must be one word, not starting with a digit") {
		t.Fatalf("a registration with the nick 9alice: want it refused saying why, got %s", r.XML)
	}
	fields["nick"] = "alice"
	if r := registerForm(t, alice, g.Domain, fields); r.Type != "result" {
		t.Fatalf("registration: %s", r.XML)
	}
	gatewayStatus(t, g, alice, "alice's connected status", "connected to 127.0.0.1")
	awaitJoin(dave.client, "#forms", "dave")
	talkInRoom(t, g, alice, dave, "#forms", "alice")

	// XEP-0050.
	r, st := g.Command(bob, "login", "", "", nil)
	if st.Type != "result" || r.Command.SessionID == "" {
		t.Fatalf("login command: %s", st.XML)
	}
	t.Logf("login command's form: %s", st.XML)
	if typ, v, ok := r.Field("tls"); !ok || typ != "boolean" || len(v) != 1 || v[0] != "true" {
		t.Errorf("the login command's TLS field: %s %q", typ, v)
	}
	if !strings.Contains(st.XML, "no for a server without TLS") {
		t.Errorf("the login command's TLS field does not say when to turn it off: %s", st.XML)
	}
	r, st = g.Command(bob, "login", r.Command.SessionID, "next", map[string]string{
		"server": "127.0.0.1:" + port, "port": "6667", "tls": "false", "nick": "bob", "channels": "#forms", "server_password": "sekrit"})
	t.Logf("login command, the ports disagreeing: %s", st.XML)
	if st.Type != "result" || r.Command.Status != "executing" || !strings.Contains(r.Notes(), "error: The server names the port "+port+" and the port field 6667") {
		t.Fatalf("a login whose server and port fields name two ports: want the form again saying why, got %s", st.XML)
	}
	// The form comes again as bob filled it, TLS still off; the
	// password is not sent back.
	for k, want := range map[string]string{"server": "127.0.0.1:" + port, "port": "6667", "tls": "false", "nick": "bob", "channels": "#forms"} {
		if _, v, _ := r.Field(k); len(v) != 1 || v[0] != want {
			t.Errorf("the refused form's %s: %q, want %q (as bob filled it)", k, v, want)
		}
	}
	if strings.Contains(st.XML, "sekrit") {
		t.Errorf("the refused form sends the server password back: %s", st.XML)
	}
	r, st = g.Command(bob, "login", r.Command.SessionID, "next", map[string]string{
		"server": "127.0.0.1:" + port, "port": "", "tls": "false", "nick": "bob", "channels": "#forms"})
	if st.Type != "result" || r.Command.Status != "completed" || strings.Contains(r.Notes(), "error") {
		t.Fatalf("login command: %s", st.XML)
	}
	t.Logf("login command's end: %s", r.Notes())
	gatewayStatus(t, g, bob, "bob's connected status", "connected to 127.0.0.1")
	awaitJoin(dave.client, "#forms", "dave", "alice")
	talkInRoom(t, g, bob, dave, "#forms", "bob")

	// A SASL account on ngircd, which has no SASL: the login ends,
	// saying what to change, in the command's note (or, past its
	// answer budget, in the chat message that follows a note saying the
	// login is still connecting).
	carol, said := loginCommandRun(t, g, "carol", map[string]string{
		"server": "127.0.0.1", "port": port, "tls": "false", "nick": "carol", "sasl_user": "carol", "sasl_password": "pw"})
	if strings.Contains(said, "Still connecting") {
		said = g.Next(carol, "the refusal of the SASL account", func(s xmpptest.Stanza) bool {
			return s.Name == "message" && s.From == g.Domain && strings.Contains(s.Body, "SASL")
		}).Body
	}
	t.Logf("< %s", said)
	for _, want := range []string{"offers no SASL", "without the SASL user and password"} {
		if !strings.Contains(said, want) {
			t.Errorf("the SASL account's refusal does not say %q: %q", want, said)
		}
	}

	// A port nothing listens on (a login to 6697, TLS's by default, on
	// a server of one's own without TLS): the status says what to check.
	dan, _ := loginCommandRun(t, g, "dan", map[string]string{
		"server": "127.0.0.1", "port": strconv.Itoa(freePort(t)), "nick": "dan"})
	gatewayStatus(t, g, dan, "the refused port's status", "connection refused", "nothing listens on that port", "6667 without")
}

// loginCommandRun has a new user name run the login command (XEP-0050)
// with fields, and fails unless the command completed; what the login
// then does is the caller's to check. notes are the command's last.
func loginCommandRun(t *testing.T, g *gatewaytest.Gateway, name string, fields map[string]string) (c *xmpptest.Client, notes string) {
	t.Helper()
	c = g.User(name)
	g.WaitReady(c)
	r, st := g.Command(c, "login", "", "", nil)
	if st.Type != "result" || r.Command.SessionID == "" {
		t.Fatalf("login command: %s", st.XML)
	}
	r, st = g.Command(c, "login", r.Command.SessionID, "next", fields)
	if st.Type != "result" || r.Command.Status != "completed" {
		t.Fatalf("login command: %s", st.XML)
	}
	return c, r.Notes()
}
