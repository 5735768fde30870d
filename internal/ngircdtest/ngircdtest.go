// Package ngircdtest runs a real IRC server (Debian's ngircd) for a test,
// on free loopback ports: the IRC plugin's tests and the gateway's
// end-to-end tests (TestIRCRestartChaos) share it.
package ngircdtest

import (
	_ "embed"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"
)

// Server is an ngircd run for a test, without flood penalties so that
// test clients go at full speed; it is killed at the test's end.
type Server struct {
	// Port is the plain port; TLSPort the port with TLS (0: none).
	Port, TLSPort int

	t                  testing.TB
	bin, conf, pidFile string
	cmd                *exec.Cmd      // the shell that holds ngircd (see Start)
	hold               io.WriteCloser // the shell's stdin: closed, it kills ngircd
	out                syncbuf.Buffer
}

// Config is what a test changes of the server's configuration.
type Config struct {
	// CertFile and KeyFile (PEM files), when set, open a second port,
	// with TLS.
	CertFile, KeyFile string
	// Global are more lines of [Global] (a server password); a
	// MaxNickLength replaces the one of [Limits].
	Global []string
}

const conf = `[Global]
Name = irc.test
Info = passerelle test server
AdminInfo1 = passerelle tests
AdminInfo2 = loopback
AdminEMail = nobody@localhost
Listen = 127.0.0.1
Ports = %d
MotdPhrase = passerelle test server
PidFile = %s
[Limits]
MaxPenaltyTime = 0
MaxConnectionsIP = 0
MaxNickLength = 30
PingTimeout = 120
PongTimeout = 60
[Options]
DNS = no
Ident = no
PAM = no
`

// confTLS is the config's TLS section: a port with TLS, the server's
// certificate and key, and DH parameters: without a DHFile ngircd
// generates 2048-bit ones at each start, which took more than the
// start's wait under load (ffdhe2048.pem is RFC 7919's public group, as
// `openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048`
// writes it).
const confTLS = `[SSL]
CertFile = %s
KeyFile = %s
DHFile = %s
Ports = %d
`

//go:embed ffdhe2048.pem
var ffdhe2048 []byte

// Start writes the server's configuration and runs it, waiting until it
// listens. The test fails at once where ngircd is not installed.
func Start(t testing.TB, c Config) *Server {
	t.Helper()
	bin, err := exec.LookPath("ngircd")
	if err != nil {
		for _, p := range []string{"/usr/sbin/ngircd", "/usr/local/sbin/ngircd"} {
			if _, e := os.Stat(p); e == nil {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		t.Fatal("ngircd is not installed: run scripts/install-deps.sh")
	}
	s := &Server{t: t, bin: bin, Port: FreePort(t)}
	dir := t.TempDir()
	s.conf = filepath.Join(dir, "ngircd.conf")
	s.pidFile = filepath.Join(dir, "server.pid") // the shell's, ngircd's pid
	text := fmt.Sprintf(conf, s.Port, filepath.Join(dir, "ngircd.pid"))
	for _, line := range c.Global {
		if strings.HasPrefix(line, "MaxNickLength") {
			text = strings.Replace(text, "MaxNickLength = 30\n", line+"\n", 1)
			continue
		}
		text = strings.Replace(text, "[Limits]\n", line+"\n[Limits]\n", 1)
	}
	if c.CertFile != "" {
		s.TLSPort = FreePort(t)
		dh := filepath.Join(dir, "ffdhe2048.pem")
		if err := os.WriteFile(dh, ffdhe2048, 0o644); err != nil {
			t.Fatal(err)
		}
		text += fmt.Sprintf(confTLS, c.CertFile, c.KeyFile, dh, s.TLSPort)
	}
	if err := os.WriteFile(s.conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// FreePort is a loopback port nothing listens on, for now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Addr is the plain port's address.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Log is what the server wrote so far.
func (s *Server) Log() string { return s.out.String() }

// Start runs the server (again, after Stop) and waits until it listens.
func (s *Server) Start() {
	s.t.Helper()
	// ngircd dies with this process, as Prosody does, through a shell
	// that kills it once its stdin, a pipe only this process holds, is
	// closed: by Stop, or by the kernel when this process dies (a crash,
	// a timeout, CI's kill). A parent-death signal (testserver.SysProcAttr)
	// would not do: run as root, as CI runs, ngircd takes the user
	// nobody, which clears it. The shell and ngircd are a process group
	// of their own, so a terminal's Ctrl-C goes to the test run alone.
	s.cmd = exec.Command("/bin/sh", "-c", `"$0" -n -f "$1" & pid=$!; echo "$pid" >"$2"; read -r _; kill -9 "$pid"; wait "$pid"`, s.bin, s.conf, s.pidFile)
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.cmd.WaitDelay = 10 * time.Second
	hold, err := s.cmd.StdinPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	s.hold = hold
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start ngircd: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("ngircd does not listen on %s: %v\n%s", s.Addr(), err, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop kills the server, as a crash would.
func (s *Server) Stop() {
	if s.cmd != nil {
		_ = s.hold.Close() // the shell kills ngircd with SIGKILL
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// Pid is the running server's process ID, as the shell that started it
// writes it (ngircd run as root writes no pid file: it is nobody by then).
func (s *Server) Pid() int {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(s.pidFile)
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil && strings.HasSuffix(string(b), "\n") {
			return pid
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no ngircd pid in %s (%v): %q", s.pidFile, err, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
