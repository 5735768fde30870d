package irc_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/plugins/plugintest"
)

// ergo is a real IRC server with history (ergo, https://ergo.chat:
// draft/chathistory, in memory) started for a test on a free loopback
// port. Debian 12 has no package of it (Debian's "ergo" is a quantum
// chemistry program), so its tests run where an ergo binary is on PATH
// or named by PASSERELLE_ERGO, and skip elsewhere.
type ergo struct {
	port int
	cmd  *exec.Cmd
	out  syncbuf.Buffer
}

func (s *ergo) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// ergoConf is ergo's config trimmed to what the tests need: one plain
// listener, no flood limits (fakelag), no connection limits, history in
// memory only (the datastore keeps accounts, in the test's folder), and
// queries not cut off at the client's join.
const ergoConf = `network:
    name: PasserelleTest
server:
    name: ergo.test
    listeners:
        "127.0.0.1:%d": {}
    casemapping: "ascii"
    lookup-hostnames: false
    forward-confirm-hostnames: false
    check-ident: false
    max-sendq: 96k
    ip-limits:
        count: false
        throttle: false
accounts:
    authentication-enabled: true
    registration:
        enabled: true
    multiclient:
        enabled: true
        allowed-by-default: false
        always-on: "disabled"
    nick-reservation:
        enabled: false
channels:
    default-modes: +nt
    registration:
        enabled: false
datastore:
    path: %s
    autoupgrade: true
lock-file: %s
limits:
    nicklen: 32
    identlen: 20
    realnamelen: 150
    channellen: 64
    awaylen: 390
    kicklen: 390
    topiclen: 390
    monitor-entries: 100
    whowas-entries: 100
    chan-list-modes: 100
    registration-messages: 1024
    multiline:
        max-bytes: 4096
        max-lines: 100
fakelag:
    enabled: false
history:
    enabled: true
    channel-length: 2048
    client-length: 256
    autoresize-window: 3d
    autoreplay-on-join: 0
    chathistory-maxmessages: 1000
    znc-maxmessages: 2048
    restrictions:
        expire-time: 1w
        query-cutoff: 'none'
        grace-period: 1h
    persistent:
        enabled: false
`

// ergoBin is the ergo IRC server's binary, or "" with why there is none.
func ergoBin() (string, string) {
	bin := os.Getenv("PASSERELLE_ERGO")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("ergo"); err != nil {
			return "", "no ergo binary on PATH"
		}
	}
	// Debian's package "ergo" is another program of the same name.
	out, _ := exec.Command(bin, "--version").CombinedOutput()
	if !strings.HasPrefix(string(out), "ergo-") {
		return "", fmt.Sprintf("%s is not the ergo IRC server (it says %q)", bin, strings.TrimSpace(string(out)))
	}
	return bin, ""
}

func startErgo(t *testing.T) *ergo {
	t.Helper()
	bin, why := ergoBin()
	if bin == "" {
		t.Skipf("ergo tests skipped: %s. Ergo (the IRC server with draft/chathistory) is not packaged in Debian 12; "+
			"build it from its source and put it on PATH, or name it in PASSERELLE_ERGO", why)
	}
	dir := t.TempDir()
	s := &ergo{port: freePort(t)}
	conf := filepath.Join(dir, "ircd.yaml")
	text := fmt.Sprintf(ergoConf, s.port, filepath.Join(dir, "ircd.db"), filepath.Join(dir, "ircd.lock"))
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(bin, "run", "--conf", conf)
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start ergo: %v", err)
	}
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		if t.Failed() {
			t.Logf("ergo's log:\n%s", s.out.String())
		}
	})
	deadline := time.Now().Add(plugintest.Timeout)
	for {
		c, err := net.DialTimeout("tcp", s.addr(), time.Second)
		if err == nil {
			c.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("ergo does not listen on %s: %v\n%s", s.addr(), err, s.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
