package bridge_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/internal/ejabberdtest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// The gateway and the real echo plugin attached to a real ejabberd (the
// rest of this package's tests run on Prosody). As with Prosody, a
// missing ejabberd fails them: `make test` installs it.

// ejabberdStack is a stack (the gateway in this process, the echo plugin
// its child) whose server is ejabberd.
type ejabberdStack struct {
	*stack
	ej *ejabberdtest.Server
}

// newEjabberdStack starts ejabberd with o and the gateway on it, the
// transport echo.localhost with this secret.
func newEjabberdStack(t *testing.T, o ejabberdtest.Options, secret string) *ejabberdStack {
	t.Helper()
	ej := ejabberdtest.Start(t, o)
	s := &stack{t: t, domain: domain, dir: t.TempDir(), logs: &logBuffer{}, plugin: echoBin}
	s.cfgPath = filepath.Join(s.dir, "passerelle.toml")
	cfg := fmt.Sprintf(`
[xmpp]
server = %q
ping_interval = "2s"
ping_timeout = "2s"
# Back within a second of ejabberd's restart, however long it took.
reconnect_max = "1s"

[store]
path = "data/passerelle.db"

[access]
allow = ["localhost"]
admins = ["admin@localhost"]

[log]
level = "debug"

[[transport]]
name = "echo"
domain = %q
secret = %q
plugin = %q
backfill_messages = 0
`, ej.ComponentAddr(), domain, secret, echoBin)
	if err := os.WriteFile(s.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("gateway log:\n%s", s.logs)
		}
	})
	s.start()
	return &ejabberdStack{stack: s, ej: ej}
}

// user registers name@localhost on ejabberd (in band) and logs a client
// in, with initial presence.
func (s *ejabberdStack) user(name string) *xmpptest.Client {
	s.t.Helper()
	if err := s.ej.Register(name, "pw-"+name); err != nil {
		s.t.Fatalf("register %s: %v", name, err)
	}
	return s.login(name)
}

// login logs one more client of an existing user in, with initial
// presence.
func (s *ejabberdStack) login(name string) *xmpptest.Client {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := xmpptest.DialOnline(ctx, s.ej.C2SAddr(), jid.MustParse(name+"@localhost"), "pw-"+name)
	if err != nil {
		s.t.Fatalf("log in %s: %v", name, err)
	}
	s.t.Cleanup(func() { c.Close() })
	return c
}

// TestEjabberdEcho: through ejabberd, the component link comes up (the
// transport answers disco#info), a user registers with the transport
// (XEP-0077), a message to an echo contact comes back, and the echo room
// (MUC, served by the component) can be joined and reflects a message.
// ejabberd routes it all; the gateway has no privileges here, so the
// contacts come as subscription requests (accepted, they are in the
// roster) and the room as an invitation. When ejabberd restarts, the
// gateway is back within 5 s.
func TestEjabberdEcho(t *testing.T) {
	const secret = "ejabberd-s3cret"
	s := newEjabberdStack(t, ejabberdtest.Options{
		Components: []ejabberdtest.Component{{Domain: domain, Secret: secret}},
	}, secret)
	alice := s.user("alice")
	s.waitGateway(alice)

	info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || info.Type != "result" {
		t.Fatalf("disco#info: %v %s", err, info.XML)
	}
	for _, want := range []string{`category="gateway"`, `type="echo"`, `jabber:iq:register`} {
		if !strings.Contains(info.XML, want) {
			t.Errorf("disco#info lacks %s: %s", want, info.XML)
		}
	}

	if r := register(t, alice, "alice-echo"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	for _, n := range []struct{ id, name string }{{"echo-1", "Echo One"}, {"echo-2", "Echo Two"}, {"echo-3", "Echo Three"}} {
		p := nextPresence(t, alice, n.id+"@"+domain, "subscribe", nil)
		if !strings.Contains(p.XML, `<nick xmlns="http://jabber.org/protocol/nick">`+n.name+`</nick>`) {
			t.Errorf("subscription request of %s without its name: %s", n.id, p.XML)
		}
	}
	// The user accepts a contact and subscribes to it (XEP-0100): the
	// gateway approves, and ejabberd's roster holds it both ways.
	raw(t, alice, `<presence type='subscribed' to='echo-1@`+domain+`'/>`)
	raw(t, alice, `<presence type='subscribe' to='echo-1@`+domain+`'/>`)
	nextPresence(t, alice, "echo-1@"+domain, "subscribed", nil)
	waitRoster(t, alice, "held echo-1 both ways", func(r map[string]rosterItem) bool {
		return r["echo-1@"+domain].Sub == "both"
	})
	inv, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && strings.Contains(st.XML, "jabber:x:conference")
	})
	if err != nil || !strings.Contains(inv.XML, `jid="`+room+`"`) {
		t.Fatalf("room invitation: %v %s", err, inv.XML)
	}

	bob := "bob@" + domain
	sendChat(t, alice, bob, "hello <ejabberd> & all")
	st := nextMessage(t, alice, bob, timeout)
	if st.Type != "chat" || st.Body != "hello <ejabberd> & all" {
		t.Fatalf("echo: %s", st.XML)
	}
	if !strings.Contains(st.XML, `<origin-id xmlns="urn:xmpp:sid:0"`) {
		t.Errorf("echo lacks its origin-id: %s", st.XML)
	}

	j := join(t, alice, "alice", "")
	got := map[string]bool{}
	for _, o := range j.occupants {
		got[nick(o.From)] = true
	}
	if !got["Echo One"] || !got["Echo Two"] {
		t.Errorf("occupants: want Echo One and Echo Two, got %v", got)
	}
	self := nick(j.self.From)
	if self == "" || !strings.Contains(j.self.XML, `code="110"`) {
		t.Fatalf("self-presence: %s", j.self.XML)
	}
	if !strings.Contains(j.subject.XML, "<subject>Echo room</subject>") {
		t.Errorf("subject: %s", j.subject.XML)
	}
	gid := groupchat(t, alice, "hello room via ejabberd")
	own := roomMessage(t, alice, self, "hello room via ejabberd")
	if own.ID != gid || !strings.Contains(own.XML, `<origin-id xmlns="urn:xmpp:sid:0" id="`+gid+`"`) {
		t.Fatalf("reflection without the client's ids: %s", own.XML)
	}
	roomMessage(t, alice, "Echo One", "hello room via ejabberd")

	if err := s.ej.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.ej.Start(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	alice = s.login("alice")
	for {
		sendChat(t, alice, bob, "after the restart")
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool { return s.Name == "message" && bareJID(s.From) == bob })
		cancel()
		if err == nil && st.Body == "after the restart" {
			break
		}
		// Until the component is back, ejabberd bounces the message.
		if time.Since(back) > 5*time.Second {
			t.Fatalf("no echo within 5 s of ejabberd being back (last: %v %s)", err, st.XML)
		}
	}
}

// exampleConfig is examples/ejabberd.yml with its component port moved
// to the test server's (the COMPONENT_PORT macro), and the domain and
// secret it declares.
func exampleConfig(t *testing.T) (yml, domain, secret string) {
	t.Helper()
	data, err := os.ReadFile("../examples/ejabberd.yml")
	if err != nil {
		t.Fatal(err)
	}
	yml = string(data)
	if n := strings.Count(yml, "port: 5347"); n != 1 {
		t.Fatalf("examples/ejabberd.yml: %d \"port: 5347\", want 1 (the test moves it to a free port)", n)
	}
	yml = strings.Replace(yml, "port: 5347", "port: COMPONENT_PORT", 1)
	// The secret is the listener's one password, which every transport
	// shares: a hosts map would hand all its domains to each component.
	var live []string // the lines ejabberd reads
	for _, l := range strings.Split(yml, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			live = append(live, l)
		}
	}
	if !slices.Contains(live, `password: "secret"`) {
		t.Fatal(`examples/ejabberd.yml: no listener password: "secret", the secret the test gives the transport`)
	}
	if slices.Contains(live, "hosts:") {
		t.Fatal("examples/ejabberd.yml: a hosts map, which ejabberd hands whole to every component that connects")
	}
	// The privileged subtests grant what its acl names.
	if !strings.Contains(yml, "\n#       - echo.localhost\n") {
		t.Fatal("examples/ejabberd.yml: its privileges acl does not name echo.localhost, the domain the test's transport has")
	}
	return yml, "echo.localhost", "secret"
}

// uncommentPrivileges is the example with its commented privileges
// section ("# acl:" to the end) uncommented, as its comment says to do;
// withIQ false leaves out the iq permission (the last option).
func uncommentPrivileges(t *testing.T, yml string, withIQ bool) string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(yml, "\n"), "\n")
	start := slices.Index(lines, "# acl:")
	if start < 0 {
		t.Fatal(`examples/ejabberd.yml: no "# acl:" line starts the privileges section`)
	}
	out := lines[:start:start]
	for _, l := range lines[start:] {
		switch {
		case l == "#":
			l = ""
		case strings.HasPrefix(l, "# "):
			l = l[2:]
		default:
			t.Fatalf("examples/ejabberd.yml: %q in the commented privileges section", l)
		}
		if !withIQ && strings.TrimSpace(l) == "iq:" {
			break
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n") + "\n"
}

// before2410 reports whether an ejabberd version ("23.01-1") predates
// 24.10, the first to grant XEP-0356 privileges in urn:xmpp:privilege:2.
func before2410(t *testing.T, version string) bool {
	t.Helper()
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil {
		t.Fatalf("ejabberd version %q: %v", version, err)
	}
	return major < 24 || major == 24 && minor < 10
}

// TestEjabberdExampleConfig: examples/ejabberd.yml, merged into a test
// server's configuration as its header says, is a configuration ejabberd
// accepts, and the gateway attaches with it and echoes; contacts come as
// subscription requests (no privileges). Its privileges section, once
// uncommented, is what the comment says of this ejabberd: before 24.10,
// refused whole (the iq option), and without iq accepted, granting in
// urn:xmpp:privilege:1, which the gateway reads and, from 23.10, takes
// (contacts in the roster); from 24.10, granted whole in
// urn:xmpp:privilege:2.
func TestEjabberdExampleConfig(t *testing.T) {
	yml, d, secret := exampleConfig(t)
	if d != domain {
		t.Fatalf("the example's domain %s is not the echo stack's %s", d, domain)
	}
	// echoes runs the gateway on ejabberd with yml; inRoster: the
	// gateway writes its contacts into the roster, else they ask.
	echoes := func(t *testing.T, yml string, inRoster bool) *ejabberdStack {
		s := newEjabberdStack(t, ejabberdtest.Options{ExtraConfig: yml}, secret)
		alice := s.user("alice")
		s.waitGateway(alice)
		if r := register(t, alice, "alice-echo"); r.Type != "result" {
			t.Fatalf("register: %s", r.XML)
		}
		if inRoster {
			waitRoster(t, alice, "held echo-1", func(r map[string]rosterItem) bool { return r["echo-1@"+domain].Sub == "both" })
		} else {
			nextPresence(t, alice, "echo-1@"+domain, "subscribe", nil)
		}
		echoOK(t, alice, "hello through the example config", timeout)
		return s
	}

	var version string // the ejabberd run, once "as is" has run it
	t.Run("as is", func(t *testing.T) {
		s := echoes(t, yml, false)
		version = s.ej.Version()
		if s.logs.Count("privileges granted by the server") != 0 {
			t.Error("privileges granted, but the example grants none as it is")
		}
		// The warning of the missing privileges says what the example
		// says of this ejabberd: before 23.10, to leave them out.
		advice := "grant them to the transport's domain with mod_privilege, as examples/ejabberd.yml shows"
		if before2310(t, version) {
			advice = "has none the gateway can take (before 23.10 it fails roster writes and sends messages written as the user without carbons): leave mod_privilege out, as examples/ejabberd.yml says"
		}
		s.logs.waitLog(t, advice, timeout)
	})

	t.Run("privileges", func(t *testing.T) {
		if version == "" {
			t.Skip("ejabberd did not run")
		}
		full := uncommentPrivileges(t, yml, true)
		if !before2410(t, version) {
			s := echoes(t, full, true)
			s.logs.waitLog(t, "roster=both message=outgoing iq=map[urn:xmpp:http:upload:0:get] namespace=urn:xmpp:privilege:2", timeout)
			return
		}
		srv, err := ejabberdtest.New(ejabberdtest.Options{Dir: t.TempDir(), ExtraConfig: full})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		if err := srv.Start(); err == nil || !strings.Contains(err.Error(), "Unknown option: iq") {
			t.Fatalf("ejabberd %s with the iq permission: %v, want it refused (the example says so)", version, err)
		}
		honours := !before2310(t, version)
		s := echoes(t, uncommentPrivileges(t, yml, false), honours)
		s.logs.waitLog(t, "roster=both message=outgoing iq=\"\" namespace=urn:xmpp:privilege:1", timeout)
		if refused := s.logs.Count("privileges not taken") != 0; refused == honours {
			t.Errorf("ejabberd %s's privileges refused: %v, want %v (the example says so)", version, refused, !honours)
		}
	})
}

// TestEjabberdPrivileged: ejabberd with mod_privilege granting the
// gateway roster "both" and message "outgoing" (all ejabberd 23.01 has),
// which ejabberd before 24.10 advertises in urn:xmpp:privilege:1. The
// gateway reads them in the namespace the server speaks. From ejabberd
// 23.10 it takes them: the echo contacts are written into the user's
// roster, with no subscription request, and what the user wrote from
// the network's own app reaches each of their clients as sent by them
// (carbons). ejabberd before 23.10 fails a component's roster writes and
// sends a message written as the user without carbons (ejabberd issues
// #3942, #3990: the contacts and the user's words would be lost): there
// the gateway goes on as without privileges, and says why. Before, the
// gateway did not read urn:xmpp:privilege:1 at all.
func TestEjabberdPrivileged(t *testing.T) {
	const secret = "ejabberd-s3cret"
	s := newEjabberdStack(t, ejabberdtest.Options{
		Components: []ejabberdtest.Component{{Domain: domain, Secret: secret, Privileged: true}},
	}, secret)
	laptop := s.user("alice")
	desk := s.login("alice")
	s.waitGateway(laptop)
	version := s.ej.Version()
	ns := "urn:xmpp:privilege:1"
	if !before2410(t, version) {
		ns = "urn:xmpp:privilege:2"
	}
	s.logs.waitLog(t, "roster=both message=outgoing iq=\"\" namespace="+ns, timeout)
	taken := !before2310(t, version)
	for _, c := range []*xmpptest.Client{laptop, desk} {
		if err := c.EnableCarbons(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	}
	if r := register(t, laptop, "alice-echo"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	s.logs.waitLog(t, "contacts=3 added=3 changed=0 removed=0", timeout)

	if taken {
		waitRoster(t, laptop, "held the three echo contacts", func(r map[string]rosterItem) bool {
			return len(r) == 3 && r["echo-1@"+domain].Name == "Echo One" && r["echo-1@"+domain].Sub == "both"
		})
		echoOK(t, laptop, "after the sync", timeout) // what the sync sent came before
		for _, st := range laptop.Pending() {
			if st.Name == "presence" && st.Type == "subscribe" {
				t.Errorf("a subscription request with roster permission: %s", st.XML)
			}
		}
	} else {
		for _, id := range []string{"echo-1", "echo-2", "echo-3"} {
			nextPresence(t, laptop, id+"@"+domain, "subscribe", nil)
		}
		if s.logs.Count("roster push") != 0 {
			t.Errorf("roster pushes to ejabberd %s, which fails them", version)
		}
	}

	// The echo network reports "see you at 8" as written by the user
	// from their phone.
	raw(t, laptop, `<message type='chat' to='bob@`+domain+`'><body>from-phone see you at 8</body></message>`)
	for _, c := range []*xmpptest.Client{laptop, desk} {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		st, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && strings.Contains(s.XML, "see you at 8</body>") && !strings.Contains(s.XML, "from-phone")
		})
		cancel()
		if err != nil {
			t.Fatalf("%s: no copy of the own-device message: %v", c.JID(), err)
		}
		if taken {
			if !strings.Contains(st.XML, "urn:xmpp:carbons:2") || !strings.Contains(st.XML, `from="alice@localhost" type="chat"`) ||
				!strings.Contains(st.XML, `to="bob@`+domain+`"`) || !strings.Contains(st.XML, "<body>see you at 8</body>") {
				t.Errorf("%s: want a carbon of a message from alice to bob, got %s", c.JID(), st.XML)
			}
		} else if !strings.Contains(st.XML, "<body>You wrote from another device: see you at 8</body>") || !strings.Contains(st.XML, `from="bob@`+domain) {
			t.Errorf("%s: want bob's labelled message, got %s", c.JID(), st.XML)
		}
	}
	if !taken && s.logs.Count(`privileges not taken: urn:xmpp:privilege:1 grants are taken from ejabberd 23.10 or later only`) != 1 {
		t.Error("the gateway did not say once why it took no privileges")
	}
}

// before2310 reports whether an ejabberd version ("23.01-1") predates
// 23.10, the first to honour the XEP-0356 grants it gives.
func before2310(t *testing.T, version string) bool {
	t.Helper()
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil {
		t.Fatalf("ejabberd version %q: %v", version, err)
	}
	return major < 23 || major == 23 && minor < 10
}
