// Package ejabberdtest runs a real ejabberd XMPP server for tests: one
// child process per Server, with its own generated configuration, Mnesia
// database, log and free loopback ports, beside and apart from a system
// ejabberd.
//
// It mirrors internal/prosodytest. ejabberd is started as the bare Erlang
// VM (`erl -s ejabberd`) rather than through ejabberdctl, which as root
// switches to the ejabberd user (who cannot write the test's folder) and
// may kill an epmd it finds. The VM runs undistributed (nonode@nohost):
// no node name, no cookie, no epmd, so parallel servers and a system
// ejabberd never meet, and nothing outlives the server. The price:
// ejabberdctl cannot reach it, so accounts are registered in band.
//
// As with Prosody, a missing ejabberd fails the test, never skips it:
// `make test` installs it (scripts/install-deps.sh), and CI must run
// these tests.
package ejabberdtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/internal/xmpptest"

	"passerelle.im/passerelle/internal/testserver"
)

// Deadlines. They are generous because CI machines are slow and shared;
// they bound a failure, they do not pace a passing test (start-up takes
// about 1 s here, a stop 0.1 s; the Erlang VM once took over 30 s to
// serve on this 2-core machine under a load of 14).
const (
	startTimeout    = 90 * time.Second
	stopTimeout     = 30 * time.Second
	registerTimeout = 30 * time.Second
)

// Component is an external component (XEP-0114) served by the
// ejabberd_service listener, such as a passerelle transport.
type Component struct {
	// Domain is the component's JID, e.g. "echo.localhost".
	Domain string
	// Secret is the handshake's password. ejabberd's listener has one
	// for all its components (examples/ejabberd.yml): every Component
	// of a Server has the same.
	Secret string
	// Privileged grants XEP-0356 privileges through mod_privilege: roster
	// "both" and message "outgoing", all ejabberd 23.01 has. ejabberd
	// before 24.10 advertises them in urn:xmpp:privilege:1.
	Privileged bool
}

// Options configure a Server. The zero value is a usable server for
// "localhost" with no components.
type Options struct {
	// Domain is the host users live on. Default "localhost".
	Domain string
	// Components get one ejabberd_service listener (ComponentAddr).
	Components []Component
	// ExtraConfig is YAML that ejabberd merges into the generated
	// configuration (include_config_file): its listen entries are added,
	// its acl, access_rules and modules entries too. The macros C2S_PORT
	// and COMPONENT_PORT hold this server's ports; COMPONENT_PORT is free
	// for ExtraConfig's own ejabberd_service listener when Components is
	// empty.
	ExtraConfig string
	// Dir holds the configuration, database and logs. Default: a new
	// temporary folder, removed by Close (Start uses t.TempDir()).
	Dir string
	// Log receives ejabberd's console output as it is written. Default:
	// discarded (the log is still kept in Dir; see LogTail).
	Log io.Writer
	// LogLevel is the minimum level logged: "debug", "info" (default),
	// "warn" or "error".
	LogLevel string
}

// Server is one ejabberd instance. Its methods are safe for concurrent use.
type Server struct {
	opts      Options
	inst      install
	dir       string
	ownDir    bool
	cfgPath   string
	extraPath string
	logPath   string

	c2sPort, componentPort int
	proc                   testserver.Server // start-up and stop

	mu      sync.Mutex             // serializes Start, Stop, Kill and Close
	run     *testserver.Run        // the current process (the Erlang VM), nil when stopped
	output  *testserver.TailBuffer // the current run's stdout and stderr
	started bool                   // has served once: the ports are known and must stay
	closed  bool
}

// install is where ejabberd is.
type install struct {
	erl     string // the erl launcher
	app     string // ejabberd's application folder, .../ejabberd-VERSION
	version string // from ejabberd.app, e.g. "23.01-1"
}

// appFiles are where distributions put ejabberd's application: Debian's
// multiarch folder (/usr/lib/x86_64-linux-gnu/ejabberd-23.01-1), then
// Erlang's own library folders.
var appFiles = []string{
	"/usr/lib/*/ejabberd-*/ebin/ejabberd.app",
	"/usr/lib/erlang/lib/ejabberd-*/ebin/ejabberd.app",
	"/usr/lib64/erlang/lib/ejabberd-*/ebin/ejabberd.app",
	"/usr/local/lib/erlang/lib/ejabberd-*/ebin/ejabberd.app",
}

var vsnRe = regexp.MustCompile(`\{vsn,\s*"([^"]*)"\}`)

func findInstall() (install, error) {
	erl, err := exec.LookPath("erl")
	if err != nil {
		return install{}, fmt.Errorf("ejabberdtest: erl not found (install ejabberd: scripts/install-deps.sh): %w", err)
	}
	for _, pattern := range appFiles {
		matches, _ := filepath.Glob(pattern)
		for _, app := range matches {
			data, err := os.ReadFile(app)
			if err != nil {
				continue
			}
			var vsn string
			if m := vsnRe.FindSubmatch(data); m != nil {
				vsn = string(m[1])
			}
			return install{erl: erl, app: filepath.Dir(filepath.Dir(app)), version: vsn}, nil
		}
	}
	return install{}, fmt.Errorf("ejabberdtest: ejabberd not installed: no %s (run scripts/install-deps.sh)", strings.Join(appFiles, " or "))
}

// Installed returns nil when erl and ejabberd's Erlang application are
// there.
func Installed() error {
	_, err := findInstall()
	return err
}

// New writes the configuration and reserves free loopback ports for c2s
// and components, but does not start ejabberd.
func New(opts Options) (*Server, error) {
	inst, err := findInstall()
	if err != nil {
		return nil, err
	}
	if opts.Domain == "" {
		opts.Domain = "localhost"
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "info"
	}
	switch opts.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return nil, fmt.Errorf("ejabberdtest: unknown log level %q", opts.LogLevel)
	}
	seen := map[string]bool{opts.Domain: true}
	for _, c := range opts.Components {
		if c.Domain == "" || c.Secret == "" {
			return nil, fmt.Errorf("ejabberdtest: component %q needs a domain and a secret", c.Domain)
		}
		if seen[c.Domain] {
			return nil, fmt.Errorf("ejabberdtest: host %q declared twice", c.Domain)
		}
		seen[c.Domain] = true
		if first := opts.Components[0]; c.Secret != first.Secret {
			return nil, fmt.Errorf("ejabberdtest: components %q and %q have different secrets: the listener has one password for all (a hosts map would hand every domain to each component)", first.Domain, c.Domain)
		}
	}

	s := &Server{opts: opts, inst: inst, dir: opts.Dir}
	if s.dir == "" {
		d, err := os.MkdirTemp("", "ejabberdtest-")
		if err != nil {
			return nil, fmt.Errorf("ejabberdtest: temp dir: %w", err)
		}
		s.dir, s.ownDir = d, true
	}
	abs, err := filepath.Abs(s.dir)
	if err != nil {
		s.removeDir()
		return nil, fmt.Errorf("ejabberdtest: %w", err)
	}
	s.dir = abs
	for _, sub := range []string{"db", "log", "home", "lib"} {
		if err := os.MkdirAll(filepath.Join(s.dir, sub), 0o750); err != nil {
			s.removeDir()
			return nil, fmt.Errorf("ejabberdtest: %w", err)
		}
	}
	// ERL_LIBS names a folder the VM scans whole at boot: Debian's
	// (/usr/lib/x86_64-linux-gnu) has a thousand entries, which cost
	// 0.4 s a start. Give it one that holds ejabberd only.
	link := filepath.Join(s.dir, "lib", filepath.Base(inst.app))
	if err := os.Symlink(inst.app, link); err != nil && !errors.Is(err, os.ErrExist) {
		s.removeDir()
		return nil, fmt.Errorf("ejabberdtest: %w", err)
	}
	ports, err := testserver.ReservePorts(2)
	if err != nil {
		s.removeDir()
		return nil, err
	}
	s.c2sPort, s.componentPort = ports[0], ports[1]
	s.cfgPath = filepath.Join(s.dir, "ejabberd.yml")
	s.extraPath = filepath.Join(s.dir, "extra.yml")
	s.logPath = filepath.Join(s.dir, "log", "ejabberd.log")
	s.proc = testserver.Server{
		Who:          "ejabberdtest: ejabberd",
		Log:          s.logPath,
		FatalLines:   fatalLines,
		PortLine:     portLine,
		StartTimeout: startTimeout,
		StopTimeout:  stopTimeout,
	}
	if opts.ExtraConfig != "" {
		if err := os.WriteFile(s.extraPath, []byte(opts.ExtraConfig), 0o640); err != nil {
			testserver.ReleasePorts(ports)
			s.removeDir()
			return nil, fmt.Errorf("ejabberdtest: write extra config: %w", err)
		}
	}
	if err := os.WriteFile(s.cfgPath, []byte(s.config()), 0o640); err != nil {
		testserver.ReleasePorts(ports)
		s.removeDir()
		return nil, fmt.Errorf("ejabberdtest: write config: %w", err)
	}
	return s, nil
}

// Start runs New and Start, registers Close (and, if the test failed, a
// dump of ejabberd's log) with t.Cleanup, and fails the test if ejabberd
// does not come up, or is not installed.
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
			t.Errorf("ejabberdtest: close: %v", err)
		}
		if t.Failed() {
			t.Logf("ejabberd log tail (%s):\n%s", s.logPath, s.LogTail())
		}
	})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	return s
}

// Start runs the Erlang VM with ejabberd as a child process and returns
// once it serves c2s and component (when Components are declared)
// connections. On failure the process is stopped and the error carries
// the log's tail.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("ejabberdtest: server closed")
	}
	if s.run != nil {
		return errors.New("ejabberdtest: already started")
	}
	for attempt := 1; ; attempt++ {
		err := s.startOnce()
		// Another process may bind a port between reservePorts' check and
		// ejabberd's bind. Before the first successful start nobody knows
		// the addresses yet, so take new ports and try again.
		if !errors.Is(err, testserver.ErrPortTaken) || s.started || attempt == 3 {
			if err == nil {
				s.started = true
			}
			return err
		}
		old := []int{s.c2sPort, s.componentPort}
		ports, perr := testserver.ReservePorts(2)
		if perr != nil {
			return errors.Join(err, perr)
		}
		testserver.ReleasePorts(old)
		s.c2sPort, s.componentPort = ports[0], ports[1]
		if werr := os.WriteFile(s.cfgPath, []byte(s.config()), 0o640); werr != nil {
			return fmt.Errorf("ejabberdtest: write config: %w", werr)
		}
	}
}

// command is the Erlang VM running ejabberd on this server's files only.
func (s *Server) command() *exec.Cmd {
	// The Mnesia folder is an Erlang string term.
	mnesiaDir := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(filepath.Join(s.dir, "db")) + `"`
	// No -sname/-name: an undistributed node needs no epmd and no cookie.
	cmd := exec.Command(s.inst.erl, "-noinput", "-mnesia", "dir", mnesiaDir, "-s", "ejabberd")
	cmd.Dir = s.dir
	// What ejabberdctl exports, pointed at Dir; the caller's Erlang
	// settings (ERL_FLAGS could name the node) and HOME (erl reads
	// ~/.erlang) are left out.
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ERL_") || strings.HasPrefix(k, "EJABBERD_") || k == "HOME" || k == "CONTRIB_MODULES_PATH" || k == "CONTRIB_MODULES_CONF_DIR" {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env,
		"HOME="+filepath.Join(s.dir, "home"),
		"ERL_LIBS="+filepath.Join(s.dir, "lib"),
		"EJABBERD_CONFIG_PATH="+s.cfgPath,
		"EJABBERD_LOG_PATH="+s.logPath,
		"CONTRIB_MODULES_PATH="+filepath.Join(s.dir, "home", "modules"),
		"ERL_CRASH_DUMP="+filepath.Join(s.dir, "log", "erl_crash.dump"),
		"ERL_CRASH_DUMP_BYTES=0",
	)
	return cmd
}

func (s *Server) startOnce() error {
	s.output = testserver.NewTailBuffer(64 << 10)
	cmd := s.command()
	// A configuration error is printed on the console too.
	var out io.Writer = s.output
	if s.opts.Log != nil {
		out = io.MultiWriter(s.output, s.opts.Log)
	}
	cmd.Stdout, cmd.Stderr = out, out
	r, err := s.proc.Start(cmd)
	if err != nil {
		return fmt.Errorf("ejabberdtest: start erl: %w", err)
	}
	s.run = r

	var others []string
	if len(s.opts.Components) > 0 {
		others = append(others, s.ComponentAddr())
	}
	// ejabberd opens its listeners once every module has started, so a
	// reply on c2s means it is ready.
	if err := s.proc.WaitReady(r, s.C2SAddr(), s.opts.Domain, others); err != nil {
		if serr := s.stopLocked(); serr != nil {
			err = errors.Join(err, serr)
		}
		return fmt.Errorf("%w\n--- ejabberd log tail ---\n%s", err, s.logTailLocked())
	}
	return nil
}

// fatalLines are log messages that mean the server is not what the test
// asked for: a configuration ejabberd refused (an unknown module or
// option: it halts), or a port another process holds.
var fatalLines = []string{
	"Failed to start ejabberd application",
	"[critical]",
	portLine,
}

const portLine = "address already in use"

// Stop sends SIGTERM, on which the Erlang VM stops ejabberd cleanly
// (streams closed, Mnesia synced), and waits; after a deadline it sends
// SIGKILL. The ports stay reserved: Start again serves the same addresses
// and the same accounts. Stopping a stopped server is a no-op.
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
	return s.proc.Stop(r)
}

// Kill ends ejabberd with SIGKILL, as a crash would: streams are cut
// without a closing tag. Like Stop, it keeps the ports for a later Start.
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

// Close stops ejabberd, releases the ports and removes Dir if New created
// it. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	err := s.stopLocked()
	s.closed = true
	testserver.ReleasePorts([]int{s.c2sPort, s.componentPort})
	s.removeDir()
	return err
}

func (s *Server) removeDir() {
	if s.ownDir {
		_ = os.RemoveAll(s.dir)
	}
}

// Register creates the account user@Domain by in-band registration
// (XEP-0077, mod_register); the server must be running. ejabberdctl
// cannot reach this undistributed node.
func (s *Server) Register(user, password string) error {
	ctx, cancel := context.WithTimeout(context.Background(), registerTimeout)
	defer cancel()
	j, err := jid.New(user, s.opts.Domain, "")
	if err != nil {
		return fmt.Errorf("ejabberdtest: register %s: %w", user, err)
	}
	if err := xmpptest.Register(ctx, s.C2SAddr(), j, password); err != nil {
		return fmt.Errorf("ejabberdtest: %w", err)
	}
	return nil
}

// C2SAddr is the client-to-server listener, "127.0.0.1:PORT". The
// addresses are fixed once Start has succeeded (a first Start that finds a
// port taken moves to new ones) and then survive Stop and Start.
func (s *Server) C2SAddr() string { return hostPort(s.c2sPort) }

// ComponentAddr is the XEP-0114 listener: the Components' or, without
// them, the one ExtraConfig may declare on COMPONENT_PORT.
func (s *Server) ComponentAddr() string { return hostPort(s.componentPort) }

// Domain is the users' host.
func (s *Server) Domain() string { return s.opts.Domain }

// Version is the ejabberd release run, e.g. "23.01-1".
func (s *Server) Version() string { return s.inst.version }

// ConfigPath is the generated ejabberd.yml.
func (s *Server) ConfigPath() string { return s.cfgPath }

// Dir is the folder holding the configuration, database and logs.
func (s *Server) Dir() string { return s.dir }

// Pid is the running Erlang VM's process id, 0 when stopped.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run == nil {
		return 0
	}
	return s.run.Cmd.Process.Pid
}

// LogTail returns the end of ejabberd's log (all runs) and of the current
// run's console output, for failure messages.
func (s *Server) LogTail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logTailLocked()
}

func (s *Server) logTailLocked() string { return testserver.LogTail(s.logPath, s.output) }

func hostPort(p int) string { return net.JoinHostPort("127.0.0.1", fmt.Sprint(p)) }
