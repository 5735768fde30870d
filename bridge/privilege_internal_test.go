package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
	"passerelle.im/passerelle/internal/ejabberdtest"
	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/internal/xmpptest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// pingAfterHandshake returns the stream of the gateway's next
// connection and the ping it sends the server after its handshake. A
// ping to the component's own domain before it, sent while the server's
// domain is unknown, is routed back, as a server does, with nothing
// before it.
func pingAfterHandshake(t *testing.T, srv *xmpptest.ComponentServer) (*xmpptest.ComponentConn, *wire.Stanza) {
	t.Helper()
	c, st := firstPing(t, srv)
	if st.To() == st.From() {
		fmt.Fprintf(c, "<iq type='get' from='%s' to='%[1]s' id='%s'><ping xmlns='urn:xmpp:ping'/></iq>", st.To(), st.ID())
		if st = c.Next(t); st.Kind() != "iq" || st.Child(wire.NSPing, "ping") == nil {
			t.Fatalf("the gateway's stanza after its ping to itself is no ping: %s %s to %s", st.Kind(), st.Type(), st.To())
		}
	}
	return c, st
}

// firstPing returns the stream of the gateway's next connection and the
// first stanza it sends, a ping.
func firstPing(t *testing.T, srv *xmpptest.ComponentServer) (*xmpptest.ComponentConn, *wire.Stanza) {
	t.Helper()
	c := srv.Accept(t)
	st := c.Next(t)
	if st.Kind() != "iq" || st.Child(wire.NSPing, "ping") == nil {
		t.Fatalf("the gateway's first stanza is no ping: %s %s to %s", st.Kind(), st.Type(), st.To())
	}
	return c, st
}

func privilegeTransport(t *testing.T, addr string) *transport {
	t.Helper()
	return privilegeTransportIn(t, addr, func(context.Context, *wire.Stanza) {})
}

// privilegeTransportIn is privilegeTransport, whose stanzas that are no
// advertisement go to in.
func privilegeTransportIn(t *testing.T, addr string, in func(context.Context, *wire.Stanza)) *transport {
	t.Helper()
	return privilegeTransportAt(t, addr, "gw.localhost", in)
}

// privilegeTransportAt is privilegeTransportIn for the component domain.
func privilegeTransportAt(t *testing.T, addr, domain string, in func(context.Context, *wire.Stanza)) *transport {
	t.Helper()
	return privilegeTransportUnder(t, addr, domain, "", in)
}

// privilegeTransportUnder is privilegeTransportAt with xmpp.server_domain
// set to server ("": unset).
func privilegeTransportUnder(t *testing.T, addr, domain, server string, in func(context.Context, *wire.Stanza)) *transport {
	t.Helper()
	return privilegeTransportLogged(t, addr, domain, server, in, slog.New(slog.DiscardHandler))
}

// privilegeTransportLogged is privilegeTransportUnder logging to log.
func privilegeTransportLogged(t *testing.T, addr, domain, server string, in func(context.Context, *wire.Stanza), log *slog.Logger) *transport {
	t.Helper()
	tr := newTestTransport(t)
	tr.log = log
	// No users: a link's first stanzas are the gateway's own (a user's
	// login would add presences to them).
	tr.sessions, tr.byLogin = map[string]*session{}, map[string]*session{}
	tr.domain, tr.privKnown = domain, make(chan struct{})
	tr.in.handle, tr.in.max, tr.in.limit = in, inboundQueue, inboundChats
	tr.link = xmpplink.New(xmpplink.Config{Addr: addr, Domain: tr.domain, ServerDomain: server, Secret: "s",
		PingInterval: time.Minute, PingTimeout: time.Minute, ReconnectMax: time.Second,
		Log: tr.log, Handle: tr.route, OnUp: tr.onLinkUp})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tr.link.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return tr
}

// Right after a start, the gateway's first work can come before the
// server's XEP-0356 advertisement (Prosody sends it after the handshake):
// the privileges wait until the server answered the ping the gateway
// sends after the handshake, behind which the advertisement was read. A
// server that grants nothing answers the ping alone, and nothing waits
// longer. Before, the privileges read then were none: a new contact
// asked to be added instead of being put in the roster.
func TestPrivilegesWaitForTheServer(t *testing.T) {
	old := privilegesWait
	privilegesWait = time.Minute // the answer, not the bound, must end the wait
	defer func() { privilegesWait = old }()

	srv := xmpptest.NewComponentServer(t)
	tr := privilegeTransport(t, srv.Addr())
	conn, ping := pingAfterHandshake(t, srv)
	got := make(chan perms, 1)
	go func() { got <- tr.privileges() }()
	select {
	case p := <-got:
		t.Fatalf("privileges read before the server answered: %+v", p)
	case <-time.After(200 * time.Millisecond):
	}
	fmt.Fprintf(conn, "<message from='localhost' to='gw.localhost'><privilege xmlns='urn:xmpp:privilege:2'>"+
		"<perm access='roster' type='both'/><perm access='message' type='outgoing'/></privilege></message>"+
		"<iq type='result' from='localhost' to='gw.localhost' id='%s'/>", ping.ID())
	select {
	case p := <-got:
		if !p.rosterWrite() || p.message != "outgoing" {
			t.Errorf("privileges after the answer: %+v, want the advertised ones", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("privileges still wait after the server answered")
	}

	// A server that grants nothing: the ping's answer alone ends the wait.
	srv = xmpptest.NewComponentServer(t)
	tr = privilegeTransport(t, srv.Addr())
	conn, ping = pingAfterHandshake(t, srv)
	fmt.Fprintf(conn, "<iq type='result' from='localhost' to='gw.localhost' id='%s'/>", ping.ID())
	start := time.Now()
	if p := tr.privileges(); p.rosterWrite() || p.message != "" {
		t.Errorf("privileges of a server that grants none: %+v", p)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("waited %s for a server that grants nothing", waited)
	}
	// An advertisement from anyone but the server is no grant.
	fmt.Fprintf(conn, "<message from='mallory@localhost' to='gw.localhost'><privilege xmlns='urn:xmpp:privilege:2'>"+
		"<perm access='roster' type='both'/></privilege></message>")
	time.Sleep(100 * time.Millisecond)
	if tr.privileges().rosterWrite() {
		t.Error("a user's forged advertisement granted roster access")
	}
}

// ownMessage is the stanza the gateway sends for a message the user
// wrote from another device (the network's own app) to bob.
func ownMessage(tr *transport, body string) []byte {
	ev := &pb.Event{Sender: &pb.Sender{UserId: "me", IsFromMe: true}}
	c := chatOut{t: tr, ev: ev, xid: "own-1", user: "alice@localhost", puppet: "bob@" + tr.domain}
	w := c.start(c.xid)
	w.Leaf("body", "", body)
	return c.finish(w)
}

// answerVersion reads the gateway's XEP-0092 query to the server, which
// follows the ping when the server granted urn:xmpp:privilege:1
// privileges or when the missing privileges warning is due, and answers
// it as the server name of that version ("": no XEP-0092).
func answerVersion(t *testing.T, conn *xmpptest.ComponentConn, name, version string) {
	t.Helper()
	q := conn.Next(t)
	if q.Kind() != "iq" || q.To() != "localhost" || q.Child(wire.NSVersion, "query") == nil {
		t.Fatalf("after a urn:xmpp:privilege:1 grant, the gateway's next stanza is no version query to the server: %s %s to %s", q.Kind(), q.Type(), q.To())
	}
	if name == "" { // a server without XEP-0092
		fmt.Fprintf(conn, "<iq type='error' from='localhost' to='gw.localhost' id='%s'><error type='cancel'>"+
			"<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", q.ID())
		return
	}
	fmt.Fprintf(conn, "<iq type='result' from='localhost' to='gw.localhost' id='%s'><query xmlns='jabber:iq:version'>"+
		"<name>%s</name><version>%s</version></query></iq>", q.ID(), name, version)
}

// XEP-0356 before 0.4 (urn:xmpp:privilege:1, ejabberd before 24.10) has
// the same roster and message permissions: the gateway takes them, and
// sends the user's own messages wrapped in that namespace, the only one
// such a server reads. They are taken only from ejabberd 23.10 and later
// (privV1Rule): ejabberd 23.01 grants them but cannot honour them, nor
// could old Prosody modules; from those, and from a server that does not
// say what it is, they are not taken, also when it advertises them again
// on the stream. Before, a
// urn:xmpp:privilege:1 advertisement was ignored, and counted as a
// user's message.
func TestPrivilegeV1(t *testing.T) {
	const advert = "<message from='localhost' to='gw.localhost'><privilege xmlns='urn:xmpp:privilege:1'>" +
		"<perm access='message' type='outgoing'/><perm access='roster' type='both'/><perm access='presence' type='none'/>" +
		"<perm access='iq'><namespace ns='http://jabber.org/protocol/pubsub' type='set'/></perm></privilege></message>"
	var inbound atomic.Int32
	srv := xmpptest.NewComponentServer(t)
	tr := privilegeTransportIn(t, srv.Addr(), func(context.Context, *wire.Stanza) { inbound.Add(1) })
	conn, ping := pingAfterHandshake(t, srv)
	fmt.Fprintf(conn, advert+"<iq type='result' from='localhost' to='gw.localhost' id='%s'/>", ping.ID())
	answerVersion(t, conn, "ejabberd", "23.10.0")
	p := tr.privileges()
	if p.ns != nsPrivilege1 || !p.rosterWrite() || !p.rosterRead() || p.message != "outgoing" {
		t.Fatalf("privileges of ejabberd 23.10: %+v, want roster both and message outgoing in urn:xmpp:privilege:1", p)
	}
	if p.iqSet(nsPubSub) {
		t.Error("an iq permission taken from urn:xmpp:privilege:1, which has none")
	}
	if n := inbound.Load(); n != 0 {
		t.Errorf("the advertisement was handled as %d stanzas from a user", n)
	}
	out, err := wire.Parse(string(ownMessage(tr, "see you at 8")))
	if err != nil {
		t.Fatal(err)
	}
	priv := out.Child(nsPrivilege1, "privilege")
	if out.To() != "localhost" || out.From() != "gw.localhost" || priv == nil {
		t.Fatalf("own message not wrapped for the server in urn:xmpp:privilege:1: %+v", out)
	}
	inner := priv.Child(nsForward, "forwarded").Child("", "message")
	if inner == nil || inner.Attr("from") != "alice@localhost" || inner.Attr("to") != "bob@gw.localhost" || inner.Child("", "body").Text != "see you at 8" {
		t.Errorf("forwarded message: %+v", priv)
	}

	// ejabberd 23.01 (Debian 12's): no privileges, and none after the
	// advertisement that follows a reconnection.
	srv = xmpptest.NewComponentServer(t)
	got := make(chan *wire.Stanza, 1)
	tr = privilegeTransportIn(t, srv.Addr(), func(_ context.Context, st *wire.Stanza) { got <- st })
	conn, ping = pingAfterHandshake(t, srv)
	fmt.Fprintf(conn, advert+"<iq type='result' from='localhost' to='gw.localhost' id='%s'/>", ping.ID())
	answerVersion(t, conn, "ejabberd", "23.01-1")
	if p := tr.privileges(); p.rosterWrite() || p.rosterRead() || p.message != "" {
		t.Errorf("privileges of ejabberd 23.01: %+v, want none", p)
	}
	if out := string(ownMessage(tr, "hi")); strings.Contains(out, "privilege") || !strings.Contains(out, `from="bob@gw.localhost"`) {
		t.Errorf("own message without the message privilege: %s", out)
	}
	// The link's reader handles the advertisement before the message
	// behind it.
	fmt.Fprint(conn, advert+"<message from='alice@localhost' to='gw.localhost' type='chat'><body>behind</body></message>")
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the message behind the advertisement never came")
	}
	if p := tr.privileges(); p.rosterWrite() || p.message != "" {
		t.Errorf("privileges of ejabberd 23.01 after it advertised them again: %+v", p)
	}

	// Any other server, or one that does not say what it is: none
	// either (an old prosody-modules mod_privilege spoke v1, and routed
	// messages written as the user as ejabberd 23.01 does).
	for _, server := range [][2]string{{"Prosody", "0.11.9"}, {"", ""}} {
		srv := xmpptest.NewComponentServer(t)
		tr := privilegeTransportIn(t, srv.Addr(), func(context.Context, *wire.Stanza) {})
		conn, ping := pingAfterHandshake(t, srv)
		fmt.Fprintf(conn, advert+"<iq type='result' from='localhost' to='gw.localhost' id='%s'/>", ping.ID())
		answerVersion(t, conn, server[0], server[1])
		if p := tr.privileges(); p.rosterWrite() || p.rosterRead() || p.message != "" {
			t.Errorf("privileges of %q: %+v, want none", server, p)
		}
	}
}

func TestHonoursPrivilegeV1(t *testing.T) {
	for _, c := range []struct {
		name, version string
		want          bool
	}{
		{"ejabberd", "23.01-1", false}, {"ejabberd", "22.10", false}, {"ejabberd", "21.12.0", false},
		{"ejabberd", "23.10", true}, {"ejabberd", "24.07.1", true}, {"ejabberd", "25.03", true},
		{"Prosody", "0.11.9", false}, {"ejabberd", "", false}, {"ejabberd", "unknown", false}, {"", "", false},
	} {
		if got := honoursPrivilegeV1(c.name, c.version); got != c.want {
			t.Errorf("honoursPrivilegeV1(%q, %q) = %v, want %v", c.name, c.version, got, c.want)
		}
	}
}

// The wrapper of a message written as the user, with a
// urn:xmpp:privilege:1 grant, is what ejabberd's mod_privilege reads: it
// sends the message inside as the user's, here to the contact, which is
// the gateway itself. Debian 12 has only ejabberd 23.01, whose grant the
// gateway does not take (TestPrivilegeV1); the message is sent as 23.10
// would have it (the same parser, plus the carbons), under the grant
// 23.10 gives.
func TestEjabberdPrivilegeV1Message(t *testing.T) {
	ej := ejabberdtest.Start(t, ejabberdtest.Options{
		Components: []ejabberdtest.Component{{Domain: "gw.localhost", Secret: "s", Privileged: true}},
	})
	got := make(chan *wire.Stanza, 16)
	tr := privilegeTransportIn(t, ej.ComponentAddr(), func(_ context.Context, st *wire.Stanza) { got <- st })
	for deadline := time.Now().Add(10 * time.Second); !tr.link.Up(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no component link to ejabberd")
		}
	}
	p := tr.privileges()
	var major, minor int
	if _, err := fmt.Sscanf(ej.Version(), "%d.%d", &major, &minor); err != nil {
		t.Fatal(err)
	}
	switch {
	case major > 24 || major == 24 && minor >= 10:
		t.Skipf("ejabberd %s grants in urn:xmpp:privilege:2", ej.Version())
	case p.ns != nsPrivilege1:
		t.Fatalf("ejabberd %s granted %+v, want urn:xmpp:privilege:1", ej.Version(), p)
	case !honoursPrivilegeV1("ejabberd", ej.Version()) && (p.message != "" || p.rosterWrite()):
		t.Errorf("ejabberd %s's grants taken: %+v", ej.Version(), p)
	case !!honoursPrivilegeV1("ejabberd", ej.Version()) && (p.message != "outgoing" || !p.rosterWrite()):
		t.Errorf("ejabberd %s's grants not taken: %+v", ej.Version(), p)
	}
	tr.mu.Lock()
	tr.perms = perms{ns: nsPrivilege1, roster: "both", message: "outgoing"}
	tr.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.link.Send(ctx, ownMessage(tr, "see you at 8"), nil); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case st := <-got:
			if st.Type() == "error" {
				cond, text := st.ErrorCondition()
				t.Fatalf("ejabberd refused the wrapped message: %s %s", cond, text)
			}
			if b, _ := st.Body(); st.Kind() == "message" && b == "see you at 8" {
				if st.From() != "alice@localhost" || st.To() != "bob@gw.localhost" {
					t.Errorf("the message ejabberd sent as the user: from %s to %s", st.From(), st.To())
				}
				return
			}
		case <-ctx.Done():
			t.Fatal("ejabberd never sent the wrapped message on")
		}
	}
}

// TestPrivilegesFromServerAbove: a component whose domain is not a
// direct subdomain of the server's (wa.im.localhost on a server of
// localhost: Prosody's mod_privilege advertises from the VirtualHost)
// takes the advertisement from the server's domain, and forwards the
// user's own messages to it; a user's forged one is no grant. Before,
// only the domain less its first label (im.localhost) counted: the
// grants were ignored, and contacts asked to be added instead.
func TestPrivilegesFromServerAbove(t *testing.T) {
	srv := xmpptest.NewComponentServer(t)
	tr := privilegeTransportAt(t, srv.Addr(), "wa.im.localhost", func(context.Context, *wire.Stanza) {})
	conn, ping := pingAfterHandshake(t, srv)
	fmt.Fprintf(conn, "<message from='mallory@localhost' to='wa.im.localhost'><privilege xmlns='urn:xmpp:privilege:2'>"+
		"<perm access='roster' type='both'/></privilege></message>"+
		"<message from='localhost' to='wa.im.localhost'><privilege xmlns='urn:xmpp:privilege:2'>"+
		"<perm access='roster' type='both'/><perm access='message' type='outgoing'/></privilege></message>"+
		// The ping to the domain guessed the server's is answered
		// (here by the server itself, with s2s off).
		"<iq type='error' from='%s' to='wa.im.localhost' id='%s'><error type='cancel'><remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", ping.To(), ping.ID())
	p := tr.privileges()
	if !p.rosterWrite() || p.message != "outgoing" {
		t.Fatalf("privileges from the server's domain above the component's parent: %+v, want roster both and message outgoing", p)
	}
	out, err := wire.Parse(string(ownMessage(tr, "see you at 8")))
	if err != nil {
		t.Fatal(err)
	}
	if out.To() != "localhost" || out.Child(nsPrivilege, "privilege") == nil {
		t.Fatalf("own message not wrapped for the server localhost: %+v", out)
	}
}

// TestGrantsPingToTheServersDomain: the ping that awaits the server's
// grants after a handshake goes to the server's domain: configured
// (xmpp.server_domain), else the one the server advertised its grants
// from on an earlier connection, else (the first connection) to the
// component's own domain, which the server routes back on the same
// stream, never to a guess. A component two labels under its server's
// domain (wa.im.localhost on a server of localhost) pinged the guess,
// im.localhost, which the server sends server-to-server, whatever it
// was told; on a first connection too, until this. An advertisement
// from a domain other than the configured one is no grant.
func TestGrantsPingToTheServersDomain(t *testing.T) {
	srv := xmpptest.NewComponentServer(t)
	tr := privilegeTransportUnder(t, srv.Addr(), "wa.im.localhost", "localhost", func(context.Context, *wire.Stanza) {})
	conn, ping := pingAfterHandshake(t, srv)
	if ping.To() != "localhost" {
		t.Fatalf("the ping for the grants went to %s, want the configured server_domain localhost", ping.To())
	}
	fmt.Fprintf(conn, "<message from='im.localhost' to='wa.im.localhost'><privilege xmlns='urn:xmpp:privilege:2'>"+
		"<perm access='roster' type='both'/></privilege></message>"+
		"<iq type='result' from='localhost' to='wa.im.localhost' id='%s'/>", ping.ID())
	if p := tr.privileges(); p.rosterWrite() {
		t.Errorf("grants from im.localhost taken, though the server's domain is localhost: %+v", p)
	}
	if got := tr.link.ServerDomain(); got != "localhost" {
		t.Errorf("server's domain %q after an advertisement from im.localhost, want the configured localhost", got)
	}

	// Unconfigured: first to the component's own domain, which the
	// server (Prosody) routes back behind its advertisement, then to the
	// domain the grants came from, never to the guess im.localhost; the
	// same domain after a reconnection.
	srv = xmpptest.NewComponentServer(t)
	tr = privilegeTransportUnder(t, srv.Addr(), "wa.im.localhost", "", func(context.Context, *wire.Stanza) {})
	conn, ping = firstPing(t, srv)
	if ping.To() != "wa.im.localhost" {
		t.Fatalf("unconfigured, the first ping went to %s, want the component's own domain wa.im.localhost", ping.To())
	}
	fmt.Fprintf(conn, "<message from='localhost' to='wa.im.localhost'><privilege xmlns='urn:xmpp:privilege:2'>"+
		"<perm access='roster' type='both'/></privilege></message>"+
		"<iq type='get' from='wa.im.localhost' to='wa.im.localhost' id='%s'><ping xmlns='urn:xmpp:ping'/></iq>", ping.ID())
	if ping = conn.Next(t); ping.Child(wire.NSPing, "ping") == nil || ping.To() != "localhost" {
		t.Fatalf("after the advertisement, the ping for the grants: %s %s to %s, want a ping to localhost", ping.Kind(), ping.Type(), ping.To())
	}
	fmt.Fprintf(conn, "<iq type='result' from='localhost' to='wa.im.localhost' id='%s'/>", ping.ID())
	if p := tr.privileges(); !p.rosterWrite() {
		t.Fatalf("grants from localhost not taken: %+v", p)
	}
	// No message grant: the warning asks what the server is. Answered
	// before the close, or that query could be queued behind the
	// dropped connection and come first on the next.
	answerVersion(t, conn, "Prosody", "0.12.4")
	conn.Close()
	_, ping = pingAfterHandshake(t, srv)
	if ping.To() != "localhost" {
		t.Fatalf("after a reconnection the ping went to %s, want localhost, where the grants came from", ping.To())
	}
}

// TestMissingPrivilegesWarned: a server that grants a transport no
// roster or message privilege sends no advertisement at all; once its
// answer to the ping after the handshake says so, the gateway warns,
// naming the transport's domain, what is missing and where to grant it,
// once however often the link comes up with the same grants. A partial grant names what it
// lacks; a full one is not warned of. Before, nothing was logged: an
// admin who forgot the transport's privileged_entities entry saw
// contacts ask for authorisation with no word why.
func TestMissingPrivilegesWarned(t *testing.T) {
	const full = "<perm access='roster' type='both'/><perm access='message' type='outgoing'/>"
	for _, c := range []struct {
		name, perms string
		missing     string // "": no warning
	}{
		{"none", "", `missing="roster = \"both\", message = \"outgoing\""`},
		{"roster only", "<perm access='roster' type='both'/>", `missing="message = \"outgoing\""`},
		{"roster read only", "<perm access='roster' type='get'/><perm access='message' type='outgoing'/>", `missing="roster = \"both\""`},
		{"all", full, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			logs := &syncbuf.Buffer{}
			srv := xmpptest.NewComponentServer(t)
			tr := privilegeTransportLogged(t, srv.Addr(), "gw.localhost", "localhost", func(context.Context, *wire.Stanza) {},
				slog.New(slog.NewTextHandler(logs, nil)))
			conn, ping := pingAfterHandshake(t, srv)
			if c.perms != "" {
				fmt.Fprintf(conn, "<message from='localhost' to='gw.localhost'><privilege xmlns='urn:xmpp:privilege:2'>%s</privilege></message>", c.perms)
			}
			fmt.Fprintf(conn, "<iq type='result' from='localhost' to='gw.localhost' id='%s'/>", ping.ID())
			tr.privileges()
			// Whether they are warned of is decided by then: a full
			// grant's test could not fail if that came later.
			tr.mu.RLock()
			said := tr.privMissingSaid
			tr.mu.RUnlock()
			if got := fmt.Sprintf("missing=%q", said); c.missing == "" && said != "" || c.missing != "" && got != c.missing {
				t.Fatalf("privileges told missing once known: %q, want %s", said, c.missing)
			}
			want := 1
			if c.missing == "" {
				want = 0
			} else {
				// The warning asks what the server is, to say where
				// to grant them.
				answerVersion(t, conn, "Prosody", "0.12.4")
				waitWarned(t, logs)
			}
			l := logs.String()
			if n := missingWarnings(logs); n != want || want == 1 && (!strings.Contains(l, "domain=gw.localhost "+c.missing) ||
				!strings.Contains(l, "privileged_entities, as examples/prosody.cfg.lua shows")) {
				t.Fatalf("%d warnings, want %d naming the domain, %s and where to grant it:\n%s", n, want, c.missing, l)
			}
			warned := func() int { return missingWarnings(logs) }
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a version query unanswered fails, not hangs
			defer cancel()
			tr.sayMissingPrivileges(ctx) // as the next link's: the same grants, not told again
			if n := warned(); n != want {
				t.Errorf("%d warnings after the next link's same grants, want %d:\n%s", n, want, logs)
			}
		})
	}
}

// missingWarnings counts the missing privileges warnings in logs.
func missingWarnings(logs *syncbuf.Buffer) int {
	return strings.Count(logs.String(), "level=WARN msg=\"the server grants this transport no XEP-0356 privilege")
}

// waitWarned waits for the missing privileges warning, logged once the
// server said its version.
func waitWarned(t *testing.T, logs *syncbuf.Buffer) {
	t.Helper()
	// 30 s: the warning waits for the version's answer, read and
	// handled by the transport's goroutines on a loaded machine.
	for deadline := time.Now().Add(30 * time.Second); missingWarnings(logs) == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("no warning of the missing privileges:\n%s", logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMissingPrivilegesAdviceFitsTheServer: the missing privileges
// warning says where to grant them on the server at hand, which it asks
// (XEP-0092). ejabberd before 23.10 has none the gateway takes, and
// examples/ejabberd.yml says to leave mod_privilege out there: the
// warning says so rather than to enable it. It sent every server to
// mod_privilege and examples/ejabberd.yml, ejabberd 23.01 (Debian 12's)
// included.
func TestMissingPrivilegesAdviceFitsTheServer(t *testing.T) {
	for _, c := range []struct {
		name, version string
		want, not     []string
	}{
		{"Prosody", "0.12.4", []string{"with privileged_entities, as examples/prosody.cfg.lua shows", "server=\"Prosody 0.12.4\""}, []string{"mod_privilege"}},
		{"ejabberd", "23.01-1", []string{"ejabberd 23.01-1 has none the gateway can take", "leave mod_privilege out, as examples/ejabberd.yml says"}, []string{"privileged_entities", "grant them to the transport's domain with mod_privilege"}},
		{"ejabberd", "24.12.0", []string{"grant them to the transport's domain with mod_privilege, as examples/ejabberd.yml shows"}, []string{"privileged_entities", "leave mod_privilege out"}},
		{"", "", []string{"Prosody with privileged_entities (examples/prosody.cfg.lua)", "ejabberd 23.10 or later with mod_privilege", "ejabberd before 23.10 has none", "server=\"(did not say)\""}, nil},
	} {
		t.Run(softwareText(c.name, c.version), func(t *testing.T) {
			logs := &syncbuf.Buffer{}
			srv := xmpptest.NewComponentServer(t)
			privilegeTransportLogged(t, srv.Addr(), "gw.localhost", "localhost", func(context.Context, *wire.Stanza) {},
				slog.New(slog.NewTextHandler(logs, nil)))
			conn, ping := pingAfterHandshake(t, srv)
			fmt.Fprintf(conn, "<iq type='result' from='localhost' to='gw.localhost' id='%s'/>", ping.ID())
			answerVersion(t, conn, c.name, c.version)
			waitWarned(t, logs)
			l := logs.String()
			for _, w := range c.want {
				if !strings.Contains(l, w) {
					t.Errorf("warning lacks %q:\n%s", w, l)
				}
			}
			for _, w := range c.not {
				if strings.Contains(l, w) {
					t.Errorf("warning says %q, untrue of this server:\n%s", w, l)
				}
			}
		})
	}
}

// TestGrantAdviceUnknownEjabberdRelease: an ejabberd that names no
// release it runs (no version, or one not "major.minor") gets the advice
// for a server not known, which says both what ejabberd 23.10 and later
// and what ejabberd before it do, not the advice for one before 23.10
// (leave mod_privilege out), which is wrong for a recent one. It was
// taken for older than 23.10.
func TestGrantAdviceUnknownEjabberdRelease(t *testing.T) {
	unknown := grantAdvice("", "")
	for _, v := range []string{"", "git", "master-abc"} {
		if got := grantAdvice("ejabberd", v); got != unknown {
			t.Errorf("grantAdvice(ejabberd, %q) = %q, want the unknown server's %q", v, got, unknown)
		}
	}
	if got := grantAdvice("ejabberd", "23.01"); got == unknown || !strings.Contains(got, "leave mod_privilege out") {
		t.Errorf("ejabberd 23.01 gets %q, want told to leave mod_privilege out", got)
	}
}

// sayMissingPrivileges is what learnPrivileges does with the grants once
// they are known: warns of those missing, unless told already.
func (t *transport) sayMissingPrivileges(ctx context.Context) {
	if p, missing := t.newlyMissingPrivileges(); missing != "" {
		t.warnMissingPrivileges(ctx, p, missing)
	}
}
