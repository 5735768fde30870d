package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/prosodytest"
)

// serverConfig is valid with xmpp.server = addr, on line 3.
func serverConfig(addr string) string {
	return "\n[xmpp]\nserver = \"" + addr + "\"\n" + valid
}

// TestServerWrongPort: xmpp.server at Prosody's client port (5222 for
// 5347, a newcomer's likely slip) is said plainly, with the component
// port to give, by check-config (exit 1) and by run (exit 78, before
// any plugin starts); the gateway said only that the server "has no
// component", and retried for ever. The component port passes.
func TestServerWrongPort(t *testing.T) {
	s := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "echo.localhost", Secret: "hunter2"}}})

	path := setup(t, serverConfig(s.C2SAddr()))
	want := path + `:3: xmpp.server: "` + s.C2SAddr() + `": this is the XMPP server's client port (it answered as jabber:client), where users' apps log in; the gateway connects to the component port (XEP-0114; Prosody: component_ports, 5347 by default`
	code, _, errs := call("check-config", "-no-plugins", "-c", path)
	if code != 1 || !strings.HasPrefix(errs, want) {
		t.Errorf("check-config, client port: exit %d, stderr %q; want 1 and %q", code, errs, want)
	}
	// Bounded: a gateway that does not see it retries for ever.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "run", "-c", path)
	cmd.Env = append(os.Environ(), "PASSERELLE_TEST_MAIN=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitConfig || !strings.Contains(string(out), "client port") {
		t.Errorf("run, client port: %v, want exit status %d saying client port; output:\n%s", err, exitConfig, out)
	}

	path = setup(t, serverConfig(s.ComponentAddr()))
	code, outs, errs := call("check-config", "-no-plugins", "-c", path)
	if code != 0 || errs != "" || !strings.Contains(outs, "server "+s.ComponentAddr()+": answered as a component port") {
		t.Errorf("check-config, component port: exit %d, stderr %q, stdout:\n%s", code, errs, outs)
	}
}

// TestServerProbeAnswers: a client port that names no namespace but
// offers STARTTLS, and a server-to-server port, are told apart from the
// component port; nothing listening is a warning, not an error (the
// server may start after the gateway).
func TestServerProbeAnswers(t *testing.T) {
	for _, tc := range []struct {
		answer string
		code   int
		want   string
	}{
		{"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>", 1, "this is the XMPP server's client port"},
		{"<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>", 1, "this is the XMPP server's server-to-server port"},
		{"HTTP/1.1 400 Bad Request\r\n\r\n", 0, "did not answer as an XMPP server"},
	} {
		addr := answerOnce(t, tc.answer)
		path := setup(t, serverConfig(addr))
		code, outs, errs := call("check-config", "-no-plugins", "-c", path)
		if code != tc.code || !strings.Contains(outs+errs, tc.want) {
			t.Errorf("answer %q: exit %d, want %d and %q; stdout:\n%s\nstderr: %s", tc.answer, code, tc.code, tc.want, outs, errs)
		}
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	path := setup(t, serverConfig(addr))
	code, outs, errs := call("check-config", "-no-plugins", "-c", path)
	if code != 0 || errs != "" || !strings.Contains(outs, "warning:   xmpp.server "+addr+" did not answer") {
		t.Errorf("nothing listening: exit %d, stderr %q, stdout:\n%s", code, errs, outs)
	}
}

// answerOnce listens on loopback and writes answer to the first
// connection once it sent something, then closes it.
func answerOnce(t *testing.T, answer string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 512)
		if _, err := c.Read(buf); err != nil {
			return
		}
		io.WriteString(c, answer)
	}()
	return l.Addr().String()
}
