package prosodytest_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"mellium.im/xmpp/component"
	"mellium.im/xmpp/jid"
	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/testserver"
	"passerelle.im/passerelle/internal/xmpptest"
)

const testTimeout = 30 * time.Second

func context30s(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// The gateway's reconnect tests rely on this: a restarted server listens on
// the same addresses and keeps its accounts.
func TestRestartKeepsPortsAndAccounts(t *testing.T) {
	ctx := context30s(t)
	srv := prosodytest.Start(t, prosodytest.Options{
		Components: []prosodytest.Component{{Domain: "echo.localhost", Secret: "s3cret"}},
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
	if srv.C2SAddr() != c2s || srv.ComponentAddr() != comp {
		t.Fatalf("addresses changed: %s %s, were %s %s", srv.C2SAddr(), srv.ComponentAddr(), c2s, comp)
	}
	again, err := xmpptest.Dial(ctx, c2s, jid.MustParse("alice@localhost"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if _, err := again.IQ(ctx, `<iq type="get" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`); err != nil {
		t.Fatal(err)
	}
	// The component port is back too.
	sess, err := dialComponent(ctx, srv, "echo.localhost", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	sess.Close()

	// After Kill (a crash), Start works as well.
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
}

type componentSession interface{ Close() error }

func dialComponent(ctx context.Context, srv *prosodytest.Server, domain, secret string) (componentSession, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", srv.ComponentAddr())
	if err != nil {
		return nil, err
	}
	sess, err := component.NewSession(ctx, jid.MustParse(domain), []byte(secret), conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return closeBoth{sess, conn}, nil
}

type closeBoth struct{ a, b io.Closer }

func (c closeBoth) Close() error { return errors.Join(c.a.Close(), c.b.Close()) }

// privilegeAdvert is the XEP-0356 (urn:xmpp:privilege:2) message Prosody
// sends a privileged component right after the handshake.
type privilegeAdvert struct {
	XMLName xml.Name `xml:"message"`
	Perms   []struct {
		Access string `xml:"access,attr"`
		Type   string `xml:"type,attr"`
		// Namespaces may be nested at any depth (see DESIGN.md):
		// mod_privilege nests each in the previous one.
		Namespaces []advertNS `xml:"namespace"`
	} `xml:"urn:xmpp:privilege:2 privilege>perm"`
}

// advertNS is one <namespace/> of an iq perm, with those nested in it.
type advertNS struct {
	NS     string     `xml:"ns,attr"`
	Type   string     `xml:"type,attr"`
	Nested []advertNS `xml:"namespace"`
}

// flatten adds n and every namespace nested in it to got.
func (n advertNS) flatten(access string, got map[string]string) {
	got[access+" "+n.NS] = n.Type
	for _, c := range n.Nested {
		c.flatten(access, got)
	}
}

func TestPrivilegedComponent(t *testing.T) {
	ctx := context30s(t)
	srv := prosodytest.Start(t, prosodytest.Options{
		Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s", Privileged: true}},
	})
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", srv.ComponentAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sess, err := component.NewSession(ctx, jid.MustParse("gw.localhost"), []byte("s"), conn)
	if err != nil {
		t.Fatal(err)
	}
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
	got := map[string]string{}
	for _, p := range adv.Perms {
		got[p.Access] = p.Type
		for _, n := range p.Namespaces {
			n.flatten(p.Access, got)
		}
	}
	want := map[string]string{"roster": "both", "message": "outgoing", "iq urn:xmpp:http:upload:0": "get", "iq http://jabber.org/protocol/pubsub": "both", "iq http://jabber.org/protocol/pubsub#owner": "set"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("permission %q = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

func TestHTTPUpload(t *testing.T) {
	ctx := context30s(t)
	srv := prosodytest.Start(t, prosodytest.Options{HTTPUpload: true})
	if err := srv.Register("alice", "pw"); err != nil {
		t.Fatal(err)
	}
	alice, err := xmpptest.Dial(ctx, srv.C2SAddr(), jid.MustParse("alice@localhost"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()

	content := []byte("hello")
	s, err := alice.Upload(ctx, srv.UploadDomain(), "a.txt", "text/plain", content)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "http://" + srv.HTTPAddr() + "/"
	if !strings.HasPrefix(s.PutURL, prefix) || !strings.HasPrefix(s.GetURL, prefix) {
		t.Fatalf("slot URLs %q %q, want them under %s", s.PutURL, s.GetURL, prefix)
	}
	greq, err := http.NewRequestWithContext(ctx, http.MethodGet, s.GetURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(greq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, content) {
		t.Errorf("GET returned %q, want %q", body, content)
	}
}

func TestStartReportsMissingModule(t *testing.T) {
	startFails(t, prosodytest.Options{Modules: []string{"no_such_module_xyz"}}, "no_such_module_xyz")
}

// startFails checks that Start with o fails with an error that says want.
func startFails(t *testing.T, o prosodytest.Options, want string) {
	t.Helper()
	if err := prosodytest.Installed(); err != nil {
		t.Fatal(err)
	}
	o.Dir = t.TempDir()
	srv, err := prosodytest.New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Start(); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Start: %v, want an error saying %q", err, want)
	}
}

// TestStartReportsConfigError: a config Prosody cannot read (here from
// ExtraConfig, which passerelle-bench's -prosody-config fills) fails
// Start with Prosody's own words, which it prints on stdout.
func TestStartReportsConfigError(t *testing.T) {
	startFails(t, prosodytest.Options{ExtraConfig: "network_settings = { "}, "problem occurred while reading the config file")
}

func TestNewRejectsBadOptions(t *testing.T) {
	for name, o := range map[string]prosodytest.Options{
		"no secret":   {Components: []prosodytest.Component{{Domain: "x.localhost"}}},
		"duplicate":   {Components: []prosodytest.Component{{Domain: "x.localhost", Secret: "a"}, {Domain: "x.localhost", Secret: "b"}}},
		"upload name": {HTTPUpload: true, Components: []prosodytest.Component{{Domain: "upload.localhost", Secret: "a"}}},
		"log level":   {LogLevel: "loud"},
	} {
		o.Dir = t.TempDir()
		if s, err := prosodytest.New(o); err == nil {
			s.Close()
			t.Errorf("%s: New accepted %+v", name, o)
		}
	}
}

func TestPortTaken(t *testing.T) {
	if err := prosodytest.Installed(); err != nil {
		t.Fatal(err)
	}
	srv, err := prosodytest.New(prosodytest.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	testserver.CheckPortTaken(t, srv, "Failed to open server port")
}

// Threads that end under the server do not take it with them: the kernel
// kills Prosody when the thread that started it exits (Pdeathsig), and the
// runtime ends a thread whose goroutine returns while locked to it, as the
// gateway's background checkpoints do. Many such goroutines in a row
// reuse the idle threads, the one that started Prosody among them unless
// it is kept apart.
func TestServerOutlivesEndedThreads(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{})
	for range 60 {
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				runtime.LockOSThread() // returns locked: the thread ends
				time.Sleep(time.Millisecond)
			})
		}
		wg.Wait()
	}
	time.Sleep(200 * time.Millisecond) // a SIGKILL takes effect at once; be generous
	c, err := net.DialTimeout("tcp", srv.C2SAddr(), 5*time.Second)
	if err != nil {
		t.Fatalf("the server is gone after threads ended: %v", err)
	}
	c.Close()
	if err := srv.Register("after", "pw"); err != nil {
		t.Fatalf("register after threads ended: %v", err)
	}
}
