package bridge_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge"
	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/xmpptest"

	"passerelle.im/passerelle/internal/syncbuf"
)

// echoBin is the real echo plugin binary, built once for all tests.
var echoBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "passerelle-bridge-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	echoBin = filepath.Join(dir, "passerelle-echo")
	// Without cgo, as make build: the build cache serves both.
	build := exec.Command("go", "build", "-o", echoBin, "passerelle.im/passerelle/cmd/passerelle-echo")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the echo plugin: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// logBuffer collects the gateway's log for assertions and failure reports.
type logBuffer struct{ syncbuf.Buffer }

func (b *logBuffer) Count(s string) int { return strings.Count(b.String(), s) }

// waitLog waits until the log holds s.
func (b *logBuffer) waitLog(t *testing.T, s string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(b.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("log never said %q", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stack is a real Prosody, the gateway (in this process) and the real echo
// plugin (a child process of it).
type stack struct {
	t       *testing.T
	cmd     *exec.Cmd // the gateway's process, with stackOptions.process
	srv     *prosodytest.Server
	domain  string // the transport's component JID
	dir     string
	cfgPath string
	logs    *logBuffer
	plugin  string // the plugin binary's path
	cancel  context.CancelFunc
	done    chan struct{}
}

type stackOptions struct {
	allow  string // TOML list body for access.allow
	secret string // the gateway's secret ("" = the right one)
	plugin string // plugin binary ("" = echo)
	extra  string // extra TOML appended to [[transport]]
	// backfill is the transport's backfill_messages; "" = 0 (off), so
	// that a test sees only the messages it makes.
	backfill string
	// privileged grants the component XEP-0356 roster and message
	// permission (mod_privilege).
	privileged bool
	// httpUpload adds Prosody's XEP-0363 service upload.localhost.
	httpUpload bool
	// serverModules are more Prosody modules to enable.
	serverModules []string
	// serverConfig is raw Lua for Prosody's global section.
	serverConfig string
	// pingTimeout is xmpp.ping_timeout; "" = 2s, which finds a dead
	// server fast. A test that keeps the server busy for seconds on
	// purpose gives it longer, as the default (10s) does.
	pingTimeout string
	// process runs the gateway as a process of its own (the built
	// cmd/passerelle), not in the test's: to measure its memory.
	process bool
	// domain is the transport's component JID; "" = domain. The
	// package's helpers that name the contacts use domain: a test with
	// another one uses s.domain.
	domain string
	// serverDomain is xmpp.server_domain; "" = unset.
	serverDomain string
	// storePath is store.path; "" = data/passerelle.db in the stack's
	// folder.
	storePath string
}

const (
	domain = "echo.localhost"
	secret = "s3cret"
)

func newStack(t *testing.T, o stackOptions) *stack {
	t.Helper()
	o.domain = cmp.Or(o.domain, domain)
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: o.domain, Secret: secret, Privileged: o.privileged}}, HTTPUpload: o.httpUpload, Modules: o.serverModules, ExtraConfig: o.serverConfig})
	s := &stack{t: t, srv: srv, domain: o.domain, dir: t.TempDir(), logs: &logBuffer{}}
	var serverDomain string
	if o.serverDomain != "" {
		serverDomain = fmt.Sprintf("server_domain = %q", o.serverDomain)
	}
	if o.process {
		s.cmd = &exec.Cmd{} // start fills it in
	}
	if o.allow == "" {
		o.allow = `"localhost"`
	}
	if o.secret == "" {
		o.secret = secret
	}
	if o.plugin == "" {
		o.plugin = echoBin
	}
	s.plugin = o.plugin
	if o.backfill == "" {
		o.backfill = "0"
	}
	s.cfgPath = filepath.Join(s.dir, "passerelle.toml")
	cfg := fmt.Sprintf(`
[xmpp]
server = %q
ping_interval = "2s"
ping_timeout = %q
%s

[store]
path = %q

[access]
allow = [%s]
admins = ["admin@localhost"]

[limits]
max_body_bytes = 1000

[log]
level = "debug"

[[transport]]
name = "echo"
domain = %q
secret = %q
plugin = %q
backfill_messages = %s
%s
`, srv.ComponentAddr(), cmp.Or(o.pingTimeout, "2s"), serverDomain, cmp.Or(o.storePath, "data/passerelle.db"), o.allow, o.domain, o.secret, o.plugin, o.backfill, o.extra)
	if err := os.WriteFile(s.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("gateway log:\n%s", s.logs)
			t.Logf("prosody log tail:\n%s", srv.LogTail())
		}
	})
	s.start()
	return s
}

// start runs the gateway on the stack's config.
func (s *stack) start() {
	s.t.Helper()
	if s.cmd != nil {
		s.startProcess()
		return
	}
	cfg, err := config.Load(s.cfgPath)
	if err != nil {
		s.t.Fatalf("config: %v", err)
	}
	log := slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		if err := bridge.Run(ctx, cfg, log); err != nil {
			s.logs.Write([]byte("bridge.Run: " + err.Error() + "\n"))
		}
	}()
}

// stop stops the gateway and waits for it.
func (s *stack) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.t.Errorf("gateway did not stop within 15 s")
		if s.cmd != nil && s.cmd.Process != nil {
			// Its goroutines, in its log (Go's SIGQUIT dump), for the
			// failure report.
			s.cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-s.done:
			case <-time.After(10 * time.Second):
				s.cmd.Process.Kill()
			}
		}
	}
	s.cancel = nil
}

// gatewayBin is cmd/passerelle, built once when a test needs it.
var gatewayBin = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(filepath.Dir(echoBin), "passerelle")
	build := exec.Command("go", "build", "-o", bin, "passerelle.im/passerelle/cmd/passerelle")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building cmd/passerelle: %v\n%s", err, out)
	}
	return bin, nil
})

// startProcess runs the gateway as a process of its own, its log in
// s.logs; stop ends it with SIGTERM.
func (s *stack) startProcess() {
	bin, err := gatewayBin()
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "-c", s.cfgPath)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	s.done = done
	s.cancel = func() { cmd.Process.Signal(syscall.SIGTERM) }
}

// peakRSS is the gateway process's peak resident memory (VmHWM), in bytes.
func (s *stack) peakRSS() int64 {
	s.t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		s.t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				s.t.Fatalf("VmHWM: %q", line)
			}
			return kb << 10
		}
	}
	s.t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// user registers an XMPP account on Prosody and logs a client in.
func (s *stack) user(name string) *xmpptest.Client {
	s.t.Helper()
	if err := s.srv.Register(name, "pw-"+name); err != nil {
		s.t.Fatalf("register %s: %v", name, err)
	}
	return s.login(name)
}

func (s *stack) login(name string) *xmpptest.Client {
	s.t.Helper()
	return s.loginResource(name, "")
}

// loginResource logs in one more client of the user, on this resource.
func (s *stack) loginResource(name, resource string) *xmpptest.Client {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	j := jid.MustParse(name + "@localhost")
	if resource != "" {
		j, _ = j.WithResource(resource)
	}
	c, err := xmpptest.DialOnline(ctx, s.srv.C2SAddr(), j, "pw-"+name)
	if err != nil {
		s.t.Fatalf("log in %s: %v", name, err)
	}
	s.t.Cleanup(func() { c.Close() })
	return c
}

// waitGateway waits until the transport answers disco#info through the
// server, i.e. the component link is up.
func (s *stack) waitGateway(c *xmpptest.Client) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := c.WaitDiscoInfo(ctx, s.domain); err != nil {
		s.t.Fatal(err)
	}
}

// pluginPID is the plugin process this stack's gateway runs: the pid of
// the newest "transport plugin running" in this stack's own log, once
// that process is alive. A scan of /proc could pick a plugin of a test
// before, still exiting or a zombie; after a kill, the dead pid waits
// for the restarted plugin's line.
func (s *stack) pluginPID() int {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m := pluginRunningRe.FindAllStringSubmatch(s.logs.String(), -1); m != nil {
			pid, _ := strconv.Atoi(m[len(m)-1][1])
			if s.livePlugin(pid) {
				return pid
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no live plugin process in the log:\n%s", pluginRunningRe.FindAllString(s.logs.String(), -1))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// holdPlugin stops the plugin process (SIGSTOP), so that what the
// gateway asked of it stays unanswered, and returns what lets it go on
// (SIGCONT), also called at the test's end if the test did not; a
// plugin gone meanwhile (a stop of the gateway kills it) needs none.
func (s *stack) holdPlugin() (resume func()) {
	s.t.Helper()
	pid := s.pluginPID()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		s.t.Fatal(err)
	}
	waitStopped(s.t, pid) // once the kernel says so, not when the signal is sent
	var once sync.Once
	resume = func() {
		once.Do(func() {
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil && !errors.Is(err, syscall.ESRCH) {
				s.t.Error(err)
			}
		})
	}
	s.t.Cleanup(resume)
	return resume
}

var pluginRunningRe = regexp.MustCompile(`msg="transport plugin running".* pid=(\d+)`)

// livePlugin reports whether pid is this stack's plugin binary, a child
// of its gateway, neither a zombie nor gone.
func (s *stack) livePlugin(pid int) bool {
	dir := "/proc/" + strconv.Itoa(pid)
	cmdline, err := os.ReadFile(dir + "/cmdline")
	if err != nil || !bytes.HasPrefix(cmdline, []byte(s.plugin+"\x00")) {
		return false
	}
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return false
	}
	state, ppid := procStat(string(stat))
	gateway := os.Getpid()
	if s.cmd != nil && s.cmd.Process != nil {
		gateway = s.cmd.Process.Pid
	}
	return ppid == gateway && state != "Z" && state != "X" && state != "x"
}

// procStat is the state and parent pid in /proc/PID/stat.
func procStat(stat string) (state string, ppid int) {
	// The fields after the command name, which is in parentheses.
	i := strings.LastIndexByte(stat, ')')
	f := strings.Fields(stat[i+1:])
	if len(f) < 2 {
		return "", 0
	}
	ppid, _ = strconv.Atoi(f[1])
	return f[0], ppid
}

func (s *stack) killPlugin() int {
	pid := s.pluginPID()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		s.t.Fatalf("kill plugin: %v", err)
	}
	return pid
}

// testPlugin builds the test plugin testdata/name and returns its path.
func testPlugin(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(filepath.Dir(echoBin), name)
	build := exec.Command("go", "build", "-o", bin, "passerelle.im/passerelle/bridge/testdata/"+name)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the %s plugin: %v\n%s", name, err, out)
	}
	return bin
}

// timeout bounds each wait for something to happen (never a wait for
// something not to): CI runs every package at once on 2 cores under
// -race, where 10 s was tight.
const timeout = 20 * time.Second

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// register runs XEP-0077 for c with this echo username. Its answer
// waits for the login's connection, at most the answer budget (20 s).
func register(t *testing.T, c *xmpptest.Client, username string) xmpptest.Stanza {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*bridge.AdhocLoginBudget)
	defer cancel()
	st, err := c.IQ(ctx, `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><username>`+username+`</username></query></iq>`)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	return st
}

// sendChat sends a chat message with an origin-id and returns its id.
func sendChat(t *testing.T, c *xmpptest.Client, to, body string) string {
	t.Helper()
	id := c.NewID()
	err := c.SendRaw(ctxT(t), `<message type='chat' id='`+id+`' to='`+to+`'><body>`+xmlEscape(body)+`</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return id
}

// nextMessage waits for a message from this JID with a body, or an error;
// receipts, markers and chat states are passed over.
func nextMessage(t *testing.T, c *xmpptest.Client, from string, within time.Duration) xmpptest.Stanza {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	st, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.Name == "message" && bareJID(s.From) == from && (s.Body != "" || s.Type == "error")
	})
	if err != nil {
		t.Fatalf("no message from %s: %v", from, err)
	}
	return st
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func bareJID(s string) string {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i]
	}
	return s
}
