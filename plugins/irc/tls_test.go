package irc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/irc"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// testCA is a private certificate authority made for a test, as a
// self-hosted IRC server's admin has one.
type testCA struct {
	t    *testing.T
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // the CA's certificate, PEM: what ca_file names
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "passerelle test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return &testCA{t: t, cert: cert, key: key, file: file}
}

// config is the transport's config trusting the CA, with quick
// reconnections.
func (ca *testCA) config() []byte {
	b, err := json.Marshal(map[string]string{"ca_file": ca.file, "reconnect_min": "200ms", "reconnect_max": "400ms"})
	if err != nil {
		ca.t.Fatal(err)
	}
	return b
}

// issue makes a server certificate for these names (IP addresses or
// host names), and writes it and its key as PEM files.
func (ca *testCA) issue(names ...string) (cert tls.Certificate, certFile, keyFile string) {
	t := ca.t
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return cert, certFile, keyFile
}

// startScriptedTLS is the scripted server behind TLS, with cert.
func startScriptedTLS(t *testing.T, cert tls.Certificate) *scripted {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startScriptedOn(t, tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}}), "", "")
}

// loginState waits for the next login state event that is neither
// connecting nor unknown, and returns it.
func loginState(evs *plugintest.EventStream) *pb.LoginStateEvent {
	return evs.NextEvent(func(ev *pb.Event) bool {
		st := ev.GetLoginState().GetState()
		return st != pb.LoginState_LOGIN_STATE_CONNECTING && st != pb.LoginState_LOGIN_STATE_UNKNOWN
	}).GetLoginState()
}

// A login with TLS on, to a self-hosted server (a real ngircd with a TLS
// port) whose certificate a private CA signed: with the CA as the
// transport's ca_file, the login connects, and messages cross both ways.
// The server is named by host name ("localhost"), which the certificate
// must be valid for.
func TestTLS(t *testing.T) {
	ca := newTestCA(t)
	_, certFile, keyFile := ca.issue("localhost", "127.0.0.1", "::1")
	s := startNgircdTLS(t, certFile, keyFile)
	bob := newClient(t, s, "bob") // on the plain port
	bob.join("#sec")

	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", ca.config())
	evs := p.Events()
	login := p.Login("", map[string]string{"server": "localhost", "port": strconv.Itoa(s.tlsPort), "tls": "on",
		"nick": "tess", "channels": "#sec"})
	p.Connect(login.LoginId, login.SavedState)
	if st := loginState(evs); st.State != pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Fatalf("login state %v, want connected", st)
	}
	if err := bob.conn.Privmsg("tess", "over TLS?"); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == "bob" && ev.GetMessage().GetText() == "over TLS?" })
	if err := bob.conn.Privmsg("#sec", "in the channel"); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == "#sec" && ev.GetMessage().GetText() == "in the channel" })
	cmds := p.Commands()
	if res := cmds.Send(plugintest.SendText(login.LoginId, "bob", "", "yes, over TLS")); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	bob.await("PRIVMSG", "yes, over TLS")
	if !strings.Contains(s.log(), "initialized TLS") {
		t.Errorf("ngircd's log shows no TLS connection:\n%s", s.log())
	}
}

// A server whose certificate is not trusted (a private CA the transport
// was not told of, a certificate for another name): the login state
// says the certificate is not trusted and why, and points to ca_file.
// The login is retried with backoff, as for a server that cannot be
// reached, rather than stopped: the cause is on the server's side or
// the gateway's config (an expired certificate renewed, ca_file added
// and the plugin restarted), not the user's, and when it is fixed the
// login comes back by itself. Nothing is sent to a server not trusted.
func TestTLSUntrusted(t *testing.T) {
	ca := newTestCA(t)
	for _, tc := range []struct {
		name   string
		config []byte
		names  []string // the certificate's
		says   string
	}{
		{"unknown CA", []byte(`{"reconnect_min":"200ms","reconnect_max":"400ms"}`), []string{"127.0.0.1"}, "unknown authority"},
		{"another address", ca.config(), []string{"127.0.0.2", "irc.example.org"}, "not 127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cert, _, _ := ca.issue(tc.names...)
			srv := startScriptedTLS(t, cert)
			p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", tc.config)
			evs := p.Events()
			f := srv.fields("ula")
			f["tls"] = "on"
			login := p.Login("", f)
			p.Connect(login.LoginId, login.SavedState)
			for i := 0; i < 2; i++ { // the first attempt, and the next
				st := loginState(evs)
				if st.State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT || !strings.Contains(st.Message, "certificate") ||
					!strings.Contains(st.Message, "not trusted") || !strings.Contains(st.Message, tc.says) || !strings.Contains(st.Message, "ca_file") {
					t.Errorf("login state %v, want a transient disconnect saying the certificate is not trusted (%s)", st, tc.says)
				}
			}
			srv.wait("3 attempts", func() bool { return len(srv.arrived) >= 3 })
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if len(srv.lines) > 0 {
				t.Errorf("sent to a server not trusted: %q", srv.lines)
			}
		})
	}
}

// TLS off against a TLS port: a clear error, soon, not a hang. ngircd
// (GnuTLS) answers the first line with a TLS alert; Go's TLS server
// hangs up without a word.
func TestTLSOffOnTLSPort(t *testing.T) {
	ca := newTestCA(t)
	cert, certFile, keyFile := ca.issue("127.0.0.1")
	ng := startNgircdTLS(t, certFile, keyFile)
	scr := startScriptedTLS(t, cert)
	for _, tc := range []struct {
		name string
		port int
		says string
	}{
		{"ngircd", ng.tlsPort, "answered in TLS, and TLS is off for this login: turn TLS on"},
		{"go", scr.port(), "closed the connection without a word: if this port takes TLS, turn TLS on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
			evs := p.Events()
			login := p.Login("", map[string]string{"server": "127.0.0.1", "port": strconv.Itoa(tc.port), "tls": "off", "nick": "vic"})
			start := time.Now()
			p.Connect(login.LoginId, login.SavedState)
			st := loginState(evs)
			if st.State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT || !strings.Contains(st.Message, tc.says) {
				t.Errorf("login state %v, want a transient disconnect saying %q", st, tc.says)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("the error came after %v", d)
			}
		})
	}
}

// TLS on against a port without TLS, whose server greets first (as
// most do: "*** Looking up your hostname"): a clear error, soon.
func TestTLSOnPlainPort(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.greeting = ":srv NOTICE * :*** Looking up your hostname..."
	srv.mu.Unlock()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	f := srv.fields("wim")
	f["tls"] = "on"
	login := p.Login("", f)
	start := time.Now()
	p.Connect(login.LoginId, login.SavedState)
	st := loginState(evs)
	if st.State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT || !strings.Contains(st.Message, "does not speak TLS on this port") ||
		!strings.Contains(st.Message, "turn TLS off") {
		t.Errorf("login state %v, want a transient disconnect saying the port has no TLS", st)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the error came after %v", d)
	}
}

// A ca_file that cannot be used is refused when the transport starts
// (Init), saying which file and what is wrong with it.
func TestCAFileRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca := newTestCA(t)
	_, _, keyFile := ca.issue("127.0.0.1")
	caPEM, err := os.ReadFile(ca.file)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file string
		says       []string
	}{
		{"missing", filepath.Join(dir, "nope.pem"), []string{"ca_file", "nope.pem", "no such file"}},
		{"a folder", dir, []string{"ca_file", dir, "is a directory"}},
		{"relative", "ca.pem", []string{"ca_file", `"ca.pem"`, "absolute path"}},
		{"empty", write("empty.pem", ""), []string{"ca_file", "empty.pem", "holds nothing"}},
		{"not PEM", write("text.pem", "not a certificate\n"), []string{"ca_file", "text.pem", "no PEM certificate"}},
		{"a key", keyFile, []string{"ca_file", "key.pem", `"PRIVATE KEY" block`}},
		{"broken certificate", write("broken.pem", string(caPEM)+"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
			[]string{"ca_file", "broken.pem", "certificate 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := json.Marshal(map[string]string{"ca_file": tc.file})
			_, err := irc.New().Init(context.Background(), sdk.InitRequest{ConfigJSON: cfg}, logHost{})
			if err == nil {
				t.Fatalf("ca_file %s taken", tc.file)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
	// A good one is taken.
	cfg, _ := json.Marshal(map[string]string{"ca_file": ca.file})
	if _, err := irc.New().Init(context.Background(), sdk.InitRequest{ConfigJSON: cfg}, logHost{}); err != nil {
		t.Errorf("a good ca_file: %v", err)
	}
}

// A server that is down at the first connection is tried again until it
// is up (ircevent's Loop alone never tried again after a first dial that
// failed).
func TestFirstConnectRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there, for now
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"reconnect_min":"200ms","reconnect_max":"400ms"}`))
	evs := p.Events()
	login := p.Login("", map[string]string{"server": "127.0.0.1", "port": fmt.Sprint(port), "tls": "off", "nick": "wes"})
	p.Connect(login.LoginId, login.SavedState)
	if st := loginState(evs); st.State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT || !strings.Contains(st.Message, "could not connect") ||
		!strings.Contains(st.Message, "connection refused") {
		t.Errorf("login state %v, want a transient disconnect: connection refused", st)
	}
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	startScriptedOn(t, ln, "", "")
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
}

// logHost is an sdk.Host for Init alone: it logs nowhere and takes no
// events.
type logHost struct{ sdk.Host }

func (logHost) Logger() *slog.Logger { return slog.New(slog.DiscardHandler) }
