package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/plugins/plugintest"
)

// gateway is "passerelle run" as a process of its own (this test binary
// running main), its stdout and stderr in log.
type gateway struct {
	cmd  *exec.Cmd
	log  syncbuf.Buffer
	done chan struct{}
	err  error // Wait's, once done is closed
}

// startGateway runs "passerelle run -c path" with env added to the
// test's environment; it is killed at the test's end if still running.
func startGateway(t *testing.T, path string, env ...string) *gateway {
	t.Helper()
	g := &gateway{done: make(chan struct{})}
	g.cmd = exec.Command(os.Args[0], "run", "-c", path)
	g.cmd.Env = append(append(os.Environ(), "PASSERELLE_TEST_MAIN=1"), env...)
	g.cmd.Stdout, g.cmd.Stderr = &g.log, &g.log
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		g.err = g.cmd.Wait()
		close(g.done)
	}()
	t.Cleanup(func() {
		g.cmd.Process.Kill()
		<-g.done
	})
	return g
}

// waitLog waits until the log holds each of want n times (a bound for a
// failure, not a pace).
func (g *gateway) waitLog(t *testing.T, n int, want ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		missing := ""
		for _, w := range want {
			if strings.Count(g.log.String(), w) < n {
				missing = w
			}
		}
		if missing == "" {
			return
		}
		select {
		case <-g.done:
			t.Fatalf("the gateway exited (%v) before its log said %q %d times; log:\n%s", g.err, missing, n, g.log.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log did not say %q %d times in 30 s; log:\n%s", missing, n, g.log.String())
		}
	}
}

// stop sends SIGTERM and waits for the exit; it fails the test unless
// the gateway said it was stopping (it logged nothing from the signal
// to "passerelle stopped", however long the stop took) and stopped
// cleanly, with status 0.
func (g *gateway) stop(t *testing.T) {
	t.Helper()
	g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("no exit 30 s after SIGTERM; log:\n%s", g.log.String())
	}
	if g.err != nil || !strings.Contains(g.log.String(), `msg="stop signal received: stopping`) || !strings.Contains(g.log.String(), `msg="passerelle stopped"`) {
		t.Fatalf("after SIGTERM: %v, want the stop said and a clean stop with status 0; log:\n%s", g.err, g.log.String())
	}
}

// TestHangupKeepsRunning: SIGHUP, which most daemons take as "reload",
// is answered in the log (no reload while running; whether the file on
// disk would load, its problem named when not) and the gateway runs on,
// stopping cleanly on SIGTERM later. Go's default ended it at once
// ("signal: hangup"), without the stop SIGTERM makes.
func TestHangupKeepsRunning(t *testing.T) {
	s := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "echo.localhost", Secret: "hunter2"}}})
	path := setup(t, serverConfig(s.ComponentAddr()))
	g := startGateway(t, path)
	g.waitLog(t, 1, `msg="component link up"`, `msg="transport plugin running"`)

	g.cmd.Process.Signal(syscall.SIGHUP)
	g.waitLog(t, 1, "SIGHUP: the configuration is not reloaded while running", "SIGHUP: the configuration file loads without problems")

	// A slip made since the start: a restart would stop at it.
	if err := os.WriteFile(path, []byte(serverConfig(s.ComponentAddr())+"colour = \"blue\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g.cmd.Process.Signal(syscall.SIGHUP)
	g.waitLog(t, 1, "SIGHUP: the configuration file has problems now", "transport[0].colour: unknown key")
	g.stop(t)
}

// TestRunLogKeepsSecrets: a real start (debug level, two transports on a
// real Prosody, one plugin config holding an API token), a SIGHUP (which
// reads the file again) and a clean stop log every transport's link and
// plugin, no error, and none of the secrets: inline, from the
// environment, from a secret_file, nor the plugin config's token.
func TestRunLogKeepsSecrets(t *testing.T) {
	const (
		inline  = "inline-Secret-4e1f"
		fromEnv = "env-Secret-9a7c"
		inFile  = "file-Secret-77d2"
		token   = "api-hash-TOKEN-31b8"
	)
	s := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{
		{Domain: "echo.localhost", Secret: inline},
		{Domain: "tg.localhost", Secret: fromEnv},
		{Domain: "echo2.localhost", Secret: inFile},
	}})
	tg := plugintest.BuildBinary(t, "passerelle.im/passerelle/cmd/passerelle-telegram")
	secretFile := filepath.Join(t.TempDir(), "echo2.secret")
	if err := os.WriteFile(secretFile, []byte(inFile+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := setup(t, `
[log]
level = "debug"
[xmpp]
server = "`+s.ComponentAddr()+`"
[access]
allow = ["localhost"]
[[transport]]
name = "echo"
domain = "echo.localhost"
secret = "`+inline+`"
[[transport]]
name = "echo2"
domain = "echo2.localhost"
secret_file = "`+secretFile+`"
plugin = "passerelle-echo"
[[transport]]
name = "telegram"
domain = "tg.localhost"
plugin = "`+tg+`"
[transport.config]
api_id = 12345
api_hash = "`+token+`"
`)
	g := startGateway(t, path, "PASSERELLE_SECRET_TELEGRAM="+fromEnv)
	g.waitLog(t, 3, `msg="component link up"`, `msg="transport plugin running"`)
	// One line says the start is done (bridge/linksup.go).
	g.waitLog(t, 1, `msg="connected to `+s.ComponentAddr()+` with transports echo.localhost, echo2.localhost, tg.localhost"`)
	g.cmd.Process.Signal(syscall.SIGHUP)
	g.waitLog(t, 1, "SIGHUP: the configuration file loads without problems")
	g.stop(t)

	log := g.log.String()
	for _, secret := range []string{inline, fromEnv, inFile, token} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds the secret %q:\n%s", secret, log)
		}
	}
	for _, name := range []string{"echo", "echo2", "telegram"} {
		if !strings.Contains(log, `msg="component link up" transport=`+name+" ") {
			t.Errorf("no link up line for transport %s:\n%s", name, log)
		}
	}
	if strings.Contains(log, "level=ERROR") {
		t.Errorf("a clean start and stop logged an error:\n%s", log)
	}
}

// health fetches /healthz from addr: its status code and report.
func health(t *testing.T, addr string) (int, healthReport) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep healthReport
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatalf("/healthz: %v", err)
	}
	return resp.StatusCode, rep
}

// healthReport is /healthz's body.
type healthReport struct {
	Status     string
	Transports map[string]struct{ Link, Plugin bool }
}

// TestHealthSaysWhichTransportIsDown: with one transport's component
// missing from the server (its handshake refused) and the other up,
// /healthz answers 503 "degraded" and names the one whose link is down;
// when the server stops, both; when it is back, 200 "ok". The log says
// each loss and each return.
func TestHealthSaysWhichTransportIsDown(t *testing.T) {
	s := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "echo.localhost", Secret: "hunter2"}}})
	prosodyPath := os.Getenv("PATH")
	metricsAddr := closedAddr(t)
	path := setup(t, serverConfig(s.ComponentAddr())+`[[transport]]
name = "ghost"
domain = "ghost.localhost"
secret = "x"
plugin = "passerelle-echo"
[metrics]
listen = "`+metricsAddr+`"
`)
	g := startGateway(t, path)
	g.waitLog(t, 2, `msg="transport plugin running"`)
	g.waitLog(t, 1, `msg="component link up" transport=echo `, `transport=ghost`+" server=", "component handshake refused")
	code, rep := health(t, metricsAddr)
	if code != http.StatusServiceUnavailable || rep.Status != "degraded" || !rep.Transports["echo"].Link || rep.Transports["ghost"].Link ||
		!rep.Transports["echo"].Plugin || !rep.Transports["ghost"].Plugin {
		t.Errorf("one component missing: /healthz %d %+v; want 503, degraded, echo's link up and ghost's down, both plugins up", code, rep)
	}
	g.stop(t)

	// The server away and back (setup's PATH lacks prosody, which the
	// restart needs).
	path = setup(t, serverConfig(s.ComponentAddr())+"[metrics]\nlisten = \""+metricsAddr+"\"\n")
	t.Setenv("PATH", os.Getenv("PATH")+string(os.PathListSeparator)+prosodyPath)
	g = startGateway(t, path)
	g.waitLog(t, 1, `msg="component link up"`, `msg="transport plugin running"`)
	if code, rep := health(t, metricsAddr); code != http.StatusOK || rep.Status != "ok" {
		t.Errorf("all up: /healthz %d %+v, want 200 ok", code, rep)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	g.waitLog(t, 1, `msg="component link down" transport=echo`)
	if code, rep := health(t, metricsAddr); code != http.StatusServiceUnavailable || rep.Transports["echo"].Link || !rep.Transports["echo"].Plugin {
		t.Errorf("server stopped: /healthz %d %+v; want 503, echo's link down, its plugin up", code, rep)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	g.waitLog(t, 2, `msg="component link up"`)
	if code, rep := health(t, metricsAddr); code != http.StatusOK || rep.Status != "ok" {
		t.Errorf("server back: /healthz %d %+v, want 200 ok", code, rep)
	}
	g.stop(t)
}

// TestHangupDuringStart: a SIGHUP while the start still waits (here on
// an XMPP server that accepts the probe's connection and says nothing)
// is answered as later ones are, and the gateway starts and stops
// cleanly. Before, the handler came after the probe, and Go's default
// ended the gateway ("signal: hangup").
func TestHangupDuringStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c // held open, silent
		}
	}()
	defer func() {
		for {
			select {
			case c := <-accepted:
				c.Close()
			default:
				return
			}
		}
	}()
	g := startGateway(t, setup(t, serverConfig(ln.Addr().String())))
	var first net.Conn
	select {
	case first = <-accepted: // the probe, which waits for an answer
	case <-time.After(30 * time.Second):
		t.Fatalf("the gateway did not probe the server; log:\n%s", g.log.String())
	}
	defer first.Close()
	g.cmd.Process.Signal(syscall.SIGHUP)
	g.waitLog(t, 1, "SIGHUP: the configuration is not reloaded while running", `msg="transport plugin running"`)
	g.stop(t)
}
