package ejabberdtest_test

import (
	"context"
	"encoding/xml"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp"
	"mellium.im/xmpp/component"
	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/internal/ejabberdtest"
	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/internal/testserver"
	"passerelle.im/passerelle/internal/xmpptest"
)

const testTimeout = 30 * time.Second

func context30s(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// installed fails a test that runs New itself the way Start would.
func installed(t *testing.T) {
	t.Helper()
	if err := ejabberdtest.Installed(); err != nil {
		t.Fatal(err)
	}
}

// A restarted server listens on the same addresses and keeps its
// accounts (in Mnesia, in Dir); after Kill, too.
func TestRestartKeepsPortsAndAccounts(t *testing.T) {
	ctx := context30s(t)
	srv := ejabberdtest.Start(t, ejabberdtest.Options{
		Components: []ejabberdtest.Component{{Domain: "echo.localhost", Secret: "s3cret"}},
	})
	if err := srv.Register("alice", "pw"); err != nil {
		t.Fatal(err)
	}
	c2s, comp := srv.C2SAddr(), srv.ComponentAddr()
	alice, err := xmpptest.Dial(ctx, c2s, jid.MustParse("alice@localhost"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	if _, err := xmpptest.Dial(ctx, c2s, jid.MustParse("alice@localhost"), "wrong"); err == nil {
		t.Fatal("logged in with a wrong password")
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-alice.Done():
	case <-ctx.Done():
		t.Fatal("client stream still up after Stop")
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	// A deadline of its own: ejabberd's start took 10 s of the first on a
	// loaded machine, and the dial below timed out.
	ctx = context30s(t)
	if srv.C2SAddr() != c2s || srv.ComponentAddr() != comp {
		t.Fatalf("addresses changed: %s %s, were %s %s", srv.C2SAddr(), srv.ComponentAddr(), c2s, comp)
	}
	again, err := xmpptest.Dial(ctx, c2s, jid.MustParse("alice@localhost"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if r, err := again.IQ(ctx, `<iq type="get" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`); err != nil || r.Type != "result" {
		t.Fatalf("ping: %v %s", err, r.XML)
	}
	conn, sess := dialComponent(t, ctx, comp, "echo.localhost", "s3cret")
	sess.Close()
	conn.Close()

	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Register("alice", "pw"); err == nil || !strings.Contains(err.Error(), "conflict") {
		t.Fatalf("alice registered again after a crash: %v", err)
	}
}

// The component listener checks the secret.
func TestComponentSecret(t *testing.T) {
	ctx := context30s(t)
	srv := ejabberdtest.Start(t, ejabberdtest.Options{
		Components: []ejabberdtest.Component{{Domain: "gw.localhost", Secret: "right"}},
		LogLevel:   "warn", // ejabberd's "warning"
	})
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", srv.ComponentAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if sess, err := component.NewSession(ctx, jid.MustParse("gw.localhost"), []byte("wrong"), conn); err == nil {
		sess.Close()
		t.Fatal("handshake accepted with a wrong secret")
	}
	conn2, sess := dialComponent(t, ctx, srv.ComponentAddr(), "gw.localhost", "right")
	sess.Close()
	conn2.Close()
}

func dialComponent(t *testing.T, ctx context.Context, addr, domain, secret string) (net.Conn, *xmpp.Session) {
	t.Helper()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := component.NewSession(ctx, jid.MustParse(domain), []byte(secret), conn)
	if err != nil {
		conn.Close()
		t.Fatalf("component handshake as %s: %v", domain, err)
	}
	return conn, sess
}

// TestTwoComponents: two components on one server each get their own
// domain's stanzas, as examples/ejabberd.yml's listener gives them
// (TestEjabberdExampleTwoTransports in cmd/passerelle). The listener had
// a hosts map with an entry per component, and ejabberd handed both
// domains to the first that connected: a message to the second reached
// the first.
func TestTwoComponents(t *testing.T) {
	ctx := context30s(t)
	srv := ejabberdtest.Start(t, ejabberdtest.Options{
		Components: []ejabberdtest.Component{{Domain: "a.localhost", Secret: "s"}, {Domain: "b.localhost", Secret: "s"}},
	})
	type arrival struct{ at, to, body string }
	got := make(chan arrival, 2)
	for _, d := range []string{"a.localhost", "b.localhost"} {
		conn, sess := dialComponent(t, ctx, srv.ComponentAddr(), d, "s")
		t.Cleanup(func() { sess.Close(); conn.Close() })
		if err := conn.SetReadDeadline(time.Now().Add(testTimeout)); err != nil {
			t.Fatal(err)
		}
		go func() {
			dec := xml.NewTokenDecoder(sess.TokenReader())
			for {
				tok, err := dec.Token()
				if err != nil {
					return
				}
				start, ok := tok.(xml.StartElement)
				if !ok || start.Name.Local != "message" {
					continue
				}
				var m struct {
					To   string `xml:"to,attr"`
					Body string `xml:"body"`
				}
				if dec.DecodeElement(&m, &start) == nil && m.Body != "" {
					got <- arrival{d, m.To, m.Body}
				}
			}
		}()
	}
	if err := srv.Register("alice", "pw"); err != nil {
		t.Fatal(err)
	}
	alice, err := xmpptest.Dial(ctx, srv.C2SAddr(), jid.MustParse("alice@localhost"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	for _, d := range []string{"b.localhost", "a.localhost"} {
		if err := alice.SendRaw(ctx, "<message type='chat' to='x@"+d+"'><body>for "+d+"</body></message>"); err != nil {
			t.Fatal(err)
		}
		select {
		case a := <-got:
			if a.at != d || a.to != "x@"+d {
				t.Errorf("the message to x@%s reached the component %s (to %s, %q)", d, a.at, a.to, a.body)
			}
		case <-ctx.Done():
			t.Fatalf("the message to x@%s reached no component", d)
		}
	}
}

// privilegeAdvert is the XEP-0356 message ejabberd 23.01 sends a
// privileged component right after the handshake, in the namespace of
// XEP-0356's version 0.2 (ejabberd 24.10 moved to urn:xmpp:privilege:2).
type privilegeAdvert struct {
	XMLName xml.Name
	From    string `xml:"from,attr"`
	V1      []perm `xml:"urn:xmpp:privilege:1 privilege>perm"`
	V2      []perm `xml:"urn:xmpp:privilege:2 privilege>perm"`
}

type perm struct {
	Access string `xml:"access,attr"`
	Type   string `xml:"type,attr"`
}

// TestPrivilegedComponent: mod_privilege grants what the config says, in
// the namespace this ejabberd speaks (recorded in the test's output for
// the docs: passerelle reads urn:xmpp:privilege:2 only).
func TestPrivilegedComponent(t *testing.T) {
	ctx := context30s(t)
	srv := ejabberdtest.Start(t, ejabberdtest.Options{
		Components: []ejabberdtest.Component{{Domain: "gw.localhost", Secret: "s", Privileged: true}},
		LogLevel:   "debug",
	})
	conn, sess := dialComponent(t, ctx, srv.ComponentAddr(), "gw.localhost", "s")
	defer conn.Close()
	defer sess.Close()
	if err := conn.SetReadDeadline(time.Now().Add(testTimeout)); err != nil {
		t.Fatal(err)
	}
	r := sess.TokenReader()
	defer r.Close()
	dec := xml.NewTokenDecoder(r)
	var adv privilegeAdvert
	for {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("no privilege advertisement: %v", err)
		}
		if start, ok := tok.(xml.StartElement); ok {
			if err := dec.DecodeElement(&adv, &start); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if adv.XMLName.Local != "message" || adv.From != "localhost" {
		t.Fatalf("first stanza: %+v, want the server's message", adv)
	}
	perms := adv.V2
	ns := "urn:xmpp:privilege:2"
	if len(perms) == 0 {
		perms, ns = adv.V1, "urn:xmpp:privilege:1"
	}
	got := map[string]string{}
	for _, p := range perms {
		got[p.Access] = p.Type
	}
	want := map[string]string{"roster": "both", "message": "outgoing"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("permission %q = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	t.Logf("ejabberd %s advertises %s", srv.Version(), ns)
}

// TestStartReportsConfigError: ejabberd refuses a config with an unknown
// module and halts; Start says so in ejabberd's words, at once rather
// than at the start deadline. Options.Log has them as they come.
func TestStartReportsConfigError(t *testing.T) {
	installed(t)
	var console syncbuf.Buffer
	srv, err := ejabberdtest.New(ejabberdtest.Options{Dir: t.TempDir(), ExtraConfig: "modules:\n  mod_no_such_module: {}\n", Log: &console})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	err = srv.Start()
	if err == nil || !strings.Contains(err.Error(), "mod_no_such_module") {
		t.Fatalf("Start: %v, want an error naming mod_no_such_module", err)
	}
	// Said when ejabberd said it, not at the start deadline (whose error
	// carries the log too): no clock read, which a slow machine fails.
	if strings.Contains(err.Error(), "not serving within") {
		t.Errorf("the failed start waited for its deadline: %v", err)
	}
	if pid := srv.Pid(); pid != 0 {
		t.Errorf("a failed start left the VM (pid %d) running", pid)
	}
	if !strings.Contains(console.String(), "mod_no_such_module") {
		t.Errorf("Options.Log did not get the console's error: %q", console.String())
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	installed(t)
	for name, o := range map[string]ejabberdtest.Options{
		"no secret": {Components: []ejabberdtest.Component{{Domain: "x.localhost"}}},
		"duplicate": {Components: []ejabberdtest.Component{{Domain: "x.localhost", Secret: "a"}, {Domain: "x.localhost", Secret: "a"}}},
		// The listener has one password.
		"two secrets": {Components: []ejabberdtest.Component{{Domain: "x.localhost", Secret: "a"}, {Domain: "y.localhost", Secret: "b"}}},
		"log level":   {LogLevel: "loud"},
	} {
		o.Dir = t.TempDir()
		if s, err := ejabberdtest.New(o); err == nil {
			s.Close()
			t.Errorf("%s: New accepted %+v", name, o)
		}
	}
}

func TestPortTaken(t *testing.T) {
	installed(t)
	srv, err := ejabberdtest.New(ejabberdtest.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	testserver.CheckPortTaken(t, srv, "address already in use")
}

// TestNothingLeftBehind: the server is one process tree of the test's,
// gone after Close: the VM and its helpers (erl_child_setup,
// inet_gethost). It starts no epmd, which would outlive the test and
// keep CI waiting: the node is not distributed.
func TestNothingLeftBehind(t *testing.T) {
	installed(t)
	epmdBefore := listening("127.0.0.1:4369")
	srv, err := ejabberdtest.New(ejabberdtest.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	// A login makes the VM resolve names (inet_gethost).
	if err := srv.Register("alice", "pw"); err != nil {
		t.Fatal(err)
	}
	tree := descendants(srv.Pid())
	if len(tree) < 2 {
		t.Fatalf("process tree of the VM: %v, want it and its helpers", tree)
	}
	if !epmdBefore && listening("127.0.0.1:4369") {
		t.Error("an epmd listens since ejabberd started")
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second) // bounds a failure only
	for {
		var alive []int
		for _, pid := range tree {
			if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
				alive = append(alive, pid)
			}
		}
		if len(alive) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes left after Close: %v", alive)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// descendants is pid and every process under it, from /proc.
func descendants(pid int) []int {
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(data), ')')
		fields := strings.Fields(string(data[i+1:]))
		if len(fields) < 2 {
			continue
		}
		p, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
		pp, _ := strconv.Atoi(fields[1])
		children[pp] = append(children[pp], p)
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}
