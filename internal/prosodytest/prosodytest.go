// Package prosodytest runs a real Prosody XMPP server for tests: one child
// process per Server, with its own generated configuration, data folder and
// free loopback ports.
//
// Tests exercise the gateway against the server users actually run instead of
// a fake, so the harness must be dependable: it never skips when Prosody is
// missing (CI must run these tests; `make test` installs it), it waits for
// the server to serve connections rather than sleeping, and it keeps a
// Server's ports across Stop and Start so a test can restart the server and
// expect a client or the gateway to reconnect to the same address.
package prosodytest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/testserver"
)

// Deadlines. They are generous because CI machines are slow and shared
// (every package at once on 2 cores, under -race); they bound a failure,
// they do not pace a passing test (start-up takes 0.1 to 0.2 s here, a
// stop as little).
const (
	startTimeout = 60 * time.Second
	stopTimeout  = 30 * time.Second
)

// Component is an external component (XEP-0114) declared in the
// configuration, such as a passerelle transport.
type Component struct {
	// Domain is the component's JID, e.g. "echo.localhost".
	Domain string
	// Secret is the component_secret used in the handshake.
	Secret string
	// Privileged grants XEP-0356 privileges through mod_privilege (from
	// prosody-modules): roster "both", message "outgoing", iq "get" on
	// urn:xmpp:http:upload:0 and iq "both" on
	// http://jabber.org/protocol/pubsub (the users' XEP-0402 bookmarks,
	// published and read).
	// Prosody advertises them right after the handshake, with
	// urn:xmpp:privilege:2.
	Privileged bool
}

// Options configure a Server. The zero value is a usable server for
// "localhost" with no components.
type Options struct {
	// Domain is the VirtualHost users live on. Default "localhost".
	Domain string
	// Components are declared after the VirtualHost.
	Components []Component
	// HTTPUpload adds the XEP-0363 component "upload.<Domain>" served by
	// http_file_share over plain HTTP on 127.0.0.1 (see HTTPAddr).
	HTTPUpload bool
	// Modules are extra global modules_enabled entries, e.g. "mam".
	Modules []string
	// ExtraConfig is raw Lua appended to the global section of the
	// configuration (before any VirtualHost), for options this package does
	// not model.
	ExtraConfig string
	// Dir holds the configuration, data, pidfile and log. Default: a new
	// temporary folder, removed by Close (Start uses t.TempDir()).
	Dir string
	// Log receives Prosody's log output as it is written. Default: discarded
	// (the log is still kept in Dir; see LogTail).
	Log io.Writer
	// LogLevel is the minimum level logged: "debug", "info" (default),
	// "warn" or "error".
	LogLevel string
}

// Server is one Prosody instance. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	dir     string
	ownDir  bool
	cfgPath string
	logPath string

	c2sPort, componentPort, httpPort int
	proc                             testserver.Server // start-up and stop

	mu      sync.Mutex             // serializes Start, Stop, Kill and Close
	run     *testserver.Run        // the current process, nil when stopped
	output  *testserver.TailBuffer // the current run's stdout and stderr
	started bool                   // has served once: the ports are known and must stay
	closed  bool
}

// Installed returns nil when the prosody and prosodyctl binaries are on PATH.
func Installed() error {
	for _, bin := range []string{"prosody", "prosodyctl"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("prosodytest: %s not found (run scripts/install-deps.sh): %w", bin, err)
		}
	}
	return nil
}

// New writes the configuration and reserves free loopback ports for c2s,
// components and HTTP, but does not start Prosody.
func New(opts Options) (*Server, error) {
	if opts.Domain == "" {
		opts.Domain = "localhost"
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "info"
	}
	switch opts.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return nil, fmt.Errorf("prosodytest: unknown log level %q", opts.LogLevel)
	}
	seen := map[string]bool{opts.Domain: true}
	if opts.HTTPUpload {
		seen["upload."+opts.Domain] = true
	}
	for _, c := range opts.Components {
		if c.Domain == "" || c.Secret == "" {
			return nil, fmt.Errorf("prosodytest: component %q needs a domain and a secret", c.Domain)
		}
		if seen[c.Domain] {
			return nil, fmt.Errorf("prosodytest: host %q declared twice", c.Domain)
		}
		seen[c.Domain] = true
	}

	s := &Server{opts: opts, dir: opts.Dir}
	if s.dir == "" {
		d, err := os.MkdirTemp("", "prosodytest-")
		if err != nil {
			return nil, fmt.Errorf("prosodytest: temp dir: %w", err)
		}
		s.dir, s.ownDir = d, true
	}
	abs, err := filepath.Abs(s.dir)
	if err != nil {
		s.removeDir()
		return nil, fmt.Errorf("prosodytest: %w", err)
	}
	s.dir = abs
	for _, sub := range []string{"data", "certs"} {
		if err := os.MkdirAll(filepath.Join(s.dir, sub), 0o750); err != nil {
			s.removeDir()
			return nil, fmt.Errorf("prosodytest: %w", err)
		}
	}
	ports, err := testserver.ReservePorts(3)
	if err != nil {
		s.removeDir()
		return nil, err
	}
	s.c2sPort, s.componentPort, s.httpPort = ports[0], ports[1], ports[2]
	s.cfgPath = filepath.Join(s.dir, "prosody.cfg.lua")
	s.logPath = filepath.Join(s.dir, "prosody.log")
	s.proc = testserver.Server{
		Who:          "prosodytest: prosody",
		Log:          s.logPath,
		FatalLines:   fatalLines,
		PortLine:     portLine,
		StartTimeout: startTimeout,
		StopTimeout:  stopTimeout,
	}
	if err := os.WriteFile(s.cfgPath, []byte(s.config()), 0o640); err != nil {
		testserver.ReleasePorts(ports)
		s.removeDir()
		return nil, fmt.Errorf("prosodytest: write config: %w", err)
	}
	return s, nil
}

// Start runs New and Start, registers Close (and, if the test failed, a dump
// of Prosody's log) with t.Cleanup, and fails the test if Prosody is not
// installed or does not come up. It never skips: CI must run these tests.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if err := Installed(); err != nil {
		t.Fatal(err)
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("prosodytest: close: %v", err)
		}
		if t.Failed() {
			t.Logf("prosody log tail (%s):\n%s", s.logPath, s.LogTail())
		}
	})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	return s
}

// Start runs `prosody --config FILE -F` as a child process and returns once
// it serves c2s, component (when Components are declared: Prosody opens
// that port only then) and HTTP (with HTTPUpload) connections. On
// failure the process is stopped and the error carries the log's tail.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("prosodytest: server closed")
	}
	if s.run != nil {
		return errors.New("prosodytest: already started")
	}
	if err := Installed(); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		err := s.startOnce()
		// Another process may bind a port between reservePorts' check and
		// Prosody's bind. Before the first successful start nobody knows
		// the addresses yet, so take new ports and try again.
		if !errors.Is(err, testserver.ErrPortTaken) || s.started || attempt == 3 {
			if err == nil {
				s.started = true
			}
			return err
		}
		old := []int{s.c2sPort, s.componentPort, s.httpPort}
		ports, perr := testserver.ReservePorts(3)
		if perr != nil {
			return errors.Join(err, perr)
		}
		testserver.ReleasePorts(old)
		s.c2sPort, s.componentPort, s.httpPort = ports[0], ports[1], ports[2]
		if werr := os.WriteFile(s.cfgPath, []byte(s.config()), 0o640); werr != nil {
			return fmt.Errorf("prosodytest: write config: %w", werr)
		}
	}
}

func (s *Server) startOnce() error {
	s.output = testserver.NewTailBuffer(64 << 10)
	cmd := exec.Command("prosody", "--config", s.cfgPath, "-F")
	cmd.Dir = s.dir
	// Prosody says what is wrong with its config on stdout, before any
	// log file opens.
	var out io.Writer = s.output
	if s.opts.Log != nil {
		out = io.MultiWriter(s.output, s.opts.Log)
	}
	cmd.Stdout, cmd.Stderr = out, out
	r, err := s.proc.Start(cmd)
	if err != nil {
		return fmt.Errorf("prosodytest: start prosody: %w", err)
	}
	s.run = r

	// Prosody opens the component port only when a Component is declared
	// (mod_component is loaded by the first one).
	var others []string
	if len(s.opts.Components) > 0 {
		others = append(others, s.ComponentAddr())
	}
	if s.opts.HTTPUpload {
		others = append(others, s.HTTPAddr())
	}
	if err := s.proc.WaitReady(r, s.C2SAddr(), s.opts.Domain, others); err != nil {
		if serr := s.stopLocked(); serr != nil {
			err = errors.Join(err, serr)
		}
		return fmt.Errorf("%w\n--- prosody log tail ---\n%s", err, s.logTailLocked())
	}
	return nil
}

// fatalLines are log messages that mean the server is not what the test
// asked for although it runs: a missing module (e.g. mod_privilege without
// prosody-modules) or a port another process holds.
var fatalLines = []string{
	"Unable to load module",
	"Error loading module",
	portLine,
}

const portLine = "Failed to open server port"

// Stop sends SIGTERM, which makes Prosody close every stream cleanly, and
// waits; after a deadline it sends SIGKILL. The ports stay reserved: Start
// again serves the same addresses. Stopping a stopped server is a no-op.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked()
}

func (s *Server) stopLocked() error {
	r := s.run
	if r == nil {
		return nil
	}
	s.run = nil
	// Prosody runs its signal handler from Lua, when its event loop next
	// runs Lua code. Once in a CI run it did not handle a SIGTERM within
	// 10 s (no "Received SIGTERM" in its log): so say it again now and
	// then, and wake the loop with a connection to its client port.
	//
	// Prosody 0.12.3 may also finish its shutdown ("Shutdown complete" in
	// its log) and then fail in its own timer code while closing the
	// last connections ("indexedbheap.lua: table index is nil"), never
	// exiting: that is its bug, not the test's, and it is killed then.
	logFrom := s.logSize()
	_ = r.Cmd.Process.Signal(syscall.SIGTERM)
	deadline := time.After(stopTimeout)
	again := time.NewTicker(2 * time.Second)
	defer again.Stop()
	finished := false
wait:
	for {
		select {
		case <-r.Exited():
			return nil
		case <-again.C:
			if finished = strings.Contains(s.logSince(logFrom), "Shutdown complete"); finished {
				break wait
			}
			_ = r.Cmd.Process.Signal(syscall.SIGTERM)
			if c, err := net.DialTimeout("tcp", s.C2SAddr(), time.Second); err == nil {
				_ = c.Close()
			}
		case <-deadline:
			break wait
		}
	}
	if err := s.proc.Kill(r); err != nil || finished {
		return err
	}
	return fmt.Errorf("prosodytest: prosody ignored SIGTERM for %v and was killed", stopTimeout)
}

// Kill ends Prosody with SIGKILL, as a crash would: streams are cut without
// a closing tag. Like Stop, it keeps the ports for a later Start.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.run
	if r == nil {
		return nil
	}
	s.run = nil
	return s.proc.Kill(r)
}

// Close stops Prosody, releases the ports and removes Dir if New created it.
// It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	err := s.stopLocked()
	s.closed = true
	testserver.ReleasePorts([]int{s.c2sPort, s.componentPort, s.httpPort})
	s.removeDir()
	return err
}

func (s *Server) removeDir() {
	if s.ownDir {
		_ = os.RemoveAll(s.dir)
	}
}

// Register creates an account with prosodyctl (works whether or not the
// server runs: the internal storage is files in Dir). Clients may also
// register in band: allow_registration is on.
func (s *Server) Register(user, password string) error {
	out, err := exec.Command("prosodyctl", "--config", s.cfgPath, "register", user, s.opts.Domain, password).CombinedOutput()
	if err != nil {
		return fmt.Errorf("prosodytest: prosodyctl register %s@%s: %w: %s", user, s.opts.Domain, err, bytes.TrimSpace(out))
	}
	return nil
}

// C2SAddr is the client-to-server listener, "127.0.0.1:PORT". The
// addresses are fixed once Start has succeeded (a first Start that finds a
// port taken moves to new ones) and then survive Stop and Start.
func (s *Server) C2SAddr() string { return hostPort(s.c2sPort) }

// ComponentAddr is the XEP-0114 component listener.
func (s *Server) ComponentAddr() string { return hostPort(s.componentPort) }

// HTTPAddr is the HTTP listener (plain HTTP; used by http_file_share when
// Options.HTTPUpload is set).
func (s *Server) HTTPAddr() string { return hostPort(s.httpPort) }

// Domain is the VirtualHost.
func (s *Server) Domain() string { return s.opts.Domain }

// UploadDomain is the XEP-0363 component's JID, or "" without HTTPUpload.
func (s *Server) UploadDomain() string {
	if !s.opts.HTTPUpload {
		return ""
	}
	return "upload." + s.opts.Domain
}

// ConfigPath is the generated prosody.cfg.lua.
func (s *Server) ConfigPath() string { return s.cfgPath }

// Dir is the folder holding the configuration, data and log.
func (s *Server) Dir() string { return s.dir }

// LogTail returns the end of Prosody's log (all runs) and of the current
// run's output, for failure messages.
func (s *Server) LogTail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logTailLocked()
}

// logSize is the length of Prosody's log now.
func (s *Server) logSize() int64 {
	fi, err := os.Stat(s.logPath)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// logSince is what Prosody logged past offset off.
func (s *Server) logSince(off int64) string {
	data, err := os.ReadFile(s.logPath)
	if err != nil || int64(len(data)) < off {
		return ""
	}
	return string(data[off:])
}

func (s *Server) logTailLocked() string { return testserver.LogTail(s.logPath, s.output) }

func hostPort(p int) string { return net.JoinHostPort("127.0.0.1", fmt.Sprint(p)) }
