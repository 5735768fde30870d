// Package ngircdtest runs a real IRC server (Debian's ngircd) for a test,
// on free loopback ports (testserver.ReservePorts): the IRC plugin's
// tests and the gateway's end-to-end tests (TestIRCRestartChaos) share
// it.
package ngircdtest

import (
	_ "embed"
	"errors"
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
	"passerelle.im/passerelle/internal/testserver"
)

// Server is an ngircd run for a test, without flood penalties so that
// test clients go at full speed; it is killed at the test's end.
type Server struct {
	// Port is the plain port; TLSPort the port with TLS (0: none).
	Port, TLSPort int

	t                       testing.TB
	c                       Config
	bin, dir, conf, pidFile string
	cmd                     *exec.Cmd      // the shell that holds ngircd (see Start)
	hold                    io.WriteCloser // the shell's stdin: closed, it kills ngircd
	out                     syncbuf.Buffer // the output of every run
	started                 bool           // has served once: the ports are known and must stay
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

// Deadlines: they bound a failure, they do not pace a passing test
// (ngircd serves within 0.2 s here; CI runs every package at once on 2
// cores, under -race).
const (
	startTimeout = 30 * time.Second
	pidTimeout   = 30 * time.Second
)

// Log lines of ngircd that end a start: a port it could not bind (it
// then exits), and its exit on any fatal error.
const (
	portLine  = "Can't bind socket"
	fatalLine = "exiting due to fatal errors"
	readyLine = `Server "irc.test" `
)

// errPortTaken marks a start that failed because a port was in use.
var errPortTaken = errors.New("port in use")

// Start writes the server's configuration and runs it, waiting until it
// serves. The test fails at once where ngircd is not installed.
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
	dir := t.TempDir()
	s := &Server{t: t, bin: bin, c: c, dir: dir,
		conf:    filepath.Join(dir, "ngircd.conf"),
		pidFile: filepath.Join(dir, "server.pid"), // the shell's, ngircd's pid
	}
	n := 1
	if c.CertFile != "" {
		n = 2
		if err := os.WriteFile(filepath.Join(dir, "ffdhe2048.pem"), ffdhe2048, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ports, err := testserver.ReservePorts(n)
	if err != nil {
		t.Fatal(err)
	}
	s.setPorts(ports)
	// Cleanups run last first: the server stops, then its ports are free.
	t.Cleanup(func() { testserver.ReleasePorts(s.ports()) })
	t.Cleanup(s.Stop)
	s.Start()
	return s
}

func (s *Server) ports() []int {
	if s.c.CertFile != "" {
		return []int{s.Port, s.TLSPort}
	}
	return []int{s.Port}
}

func (s *Server) setPorts(ports []int) {
	s.Port = ports[0]
	if s.c.CertFile != "" {
		s.TLSPort = ports[1]
	}
}

// config is the server's configuration on its current ports.
func (s *Server) config() string {
	text := fmt.Sprintf(conf, s.Port, filepath.Join(s.dir, "ngircd.pid"))
	for _, line := range s.c.Global {
		if strings.HasPrefix(line, "MaxNickLength") {
			text = strings.Replace(text, "MaxNickLength = 30\n", line+"\n", 1)
			continue
		}
		text = strings.Replace(text, "[Limits]\n", line+"\n[Limits]\n", 1)
	}
	if s.c.CertFile != "" {
		text += fmt.Sprintf(confTLS, s.c.CertFile, s.c.KeyFile, filepath.Join(s.dir, "ffdhe2048.pem"), s.TLSPort)
	}
	return text
}

// FreePort is a loopback port nothing listens on, for now, and that no
// server of this package's harnesses takes until the test ends. It is
// below the kernel's ephemeral range (see testserver.ReservePorts): a
// client dialing it is never given it as its own source port.
func FreePort(t testing.TB) int {
	t.Helper()
	ports, err := testserver.ReservePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testserver.ReleasePorts(ports) })
	return ports[0]
}

// Addr is the plain port's address.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Log is what the server wrote so far.
func (s *Server) Log() string { return s.out.String() }

// Start runs the server (again, after Stop) and waits until it serves:
// ngircd says it is ready, so the ports are its own, not a stranger's.
// The first start moves to other ports when one is taken; a restart
// keeps them, and fails if one is.
func (s *Server) Start() {
	s.t.Helper()
	for attempt := 1; ; attempt++ {
		err := s.startOnce()
		if err == nil {
			s.started = true
			return
		}
		if !errors.Is(err, errPortTaken) || s.started || attempt == 3 {
			s.t.Fatalf("%v\n%s", err, s.Log())
		}
		// Another process bound a port between its reservation and
		// ngircd's bind; nobody knows the addresses yet.
		old := s.ports()
		ports, perr := testserver.ReservePorts(len(old))
		if perr != nil {
			s.t.Fatalf("%v; %v", err, perr)
		}
		testserver.ReleasePorts(old)
		s.setPorts(ports)
	}
}

// startOnce runs ngircd on the current ports and waits until it is
// ready; on failure it is stopped.
func (s *Server) startOnce() error {
	if err := os.WriteFile(s.conf, []byte(s.config()), 0o644); err != nil {
		return err
	}
	logFrom := len(s.Log())
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
		s.cmd = nil
		return err
	}
	s.hold = hold
	if err := s.cmd.Start(); err != nil {
		s.cmd = nil
		return fmt.Errorf("start ngircd: %w", err)
	}
	deadline := time.Now().Add(startTimeout)
	for {
		log := s.Log()[logFrom:]
		if line := lineWith(log, portLine); line != "" {
			s.Stop()
			return fmt.Errorf("ngircd on %v: %s (%w)", s.ports(), line, errPortTaken)
		}
		if line := lineWith(log, fatalLine); line != "" {
			s.Stop()
			return fmt.Errorf("ngircd: %s", line)
		}
		var err error
		if !strings.Contains(log, readyLine) {
			err = errors.New("ngircd did not say it is ready")
		}
		for _, p := range s.ports() {
			if err != nil {
				break
			}
			var c net.Conn
			if c, err = net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(p), time.Second); err == nil {
				c.Close()
			}
		}
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("ngircd does not serve %v within %v: %w", s.ports(), startTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lineWith is the first line of log holding s, "" if none does.
func lineWith(log, s string) string {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, s) {
			return strings.TrimSpace(line)
		}
	}
	return ""
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
	deadline := time.Now().Add(pidTimeout)
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
