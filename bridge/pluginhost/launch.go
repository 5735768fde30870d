package pluginhost

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// launchConfig says how to start a plugin process.
type launchConfig struct {
	// Path is the plugin binary.
	Path string
	// Args are extra arguments for it.
	Args []string
	// Env is added to the plugin's environment, which holds only a few of
	// the gateway's variables (see pluginEnv).
	Env []string
	// Stderr receives the plugin's stderr, line by line (its log).
	Stderr io.Writer
	// Logger receives go-plugin's own messages; nil discards them.
	Logger hclog.Logger
	// InvalidUTF8, if set, hears of each message from the plugin whose
	// strings held invalid UTF-8, decoded once they were repaired
	// (utf8Codec).
	InvalidUTF8 func(proto.Message)
}

// process is a running plugin process, as seen from the host.
type process struct {
	// Transport is the gRPC client of the contract.
	Transport pb.TransportClient
	client    *plugin.Client
	rpc       plugin.ClientProtocol
	// pgid is the plugin's process group (its PID), once go-plugin has
	// started it; 0 before, or where plugins get no group of their own.
	pgid int
	// killStart kills the group through cmd's context: exec then does
	// it, with the PID it holds, while go-plugin is still starting the
	// plugin and pgid cannot be read.
	killStart context.CancelFunc
	log       hclog.Logger
	// cmd is the plugin's command; its ProcessState may be read once
	// the client says it exited (exitStatus).
	cmd *exec.Cmd
	// socketDir is the folder go-plugin made for the plugin's socket
	// (removeSocketDir).
	socketDir string
	// quiet lowers go-plugin's lines to debug (quietLogger): set while
	// a start that failed is cleaned up.
	quiet *atomic.Bool
}

// startTimeout bounds go-plugin's handshake: a plugin prints its address
// once its own process is up. Every plugin does that before its slow
// parts (Signal's plugin starts the signal-cli JVM only once a login
// needs it, after Init), so a Python plugin on a small board is the slow
// case, at a few seconds. A variable for the tests.
var startTimeout = 20 * time.Second

// launch starts a plugin binary and connects to it over gRPC with the
// versioned handshake. A binary that is not a passerelle plugin, or one of
// another contract version, fails here with a clear error. The plugin
// runs in a process group of its own, killed with it (see Kill); ctx
// ending stops the start, and the plugin with it.
func launch(ctx context.Context, cfg launchConfig) (*process, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	// cfg.Stderr has the plugin's stderr already.
	logger = muteStderr(logger, cfg.Path)
	quiet := &atomic.Bool{}
	logger = quietLogger{Logger: logger, quiet: quiet}
	kctx, killStart := context.WithCancel(context.Background())
	cmd := exec.CommandContext(kctx, cfg.Path, cfg.Args...)
	cmd.Env = pluginEnv(os.Environ(), cfg.Env)
	ownGroup(cmd)
	// Called by exec only before it has reaped the plugin, so the PID is
	// still the group's.
	cmd.Cancel = func() error {
		if hasGroups {
			return killGroup(cmd.Process.Pid, syscall.SIGKILL)
		}
		return cmd.Process.Kill()
	}
	junk := func(line string, more int) {
		logger.Warn("the plugin wrote to its stdout after the handshake; the gateway drops it (stdout is the handshake's alone: log to stderr; logged once)",
			"line", truncate(line, 200), "cut_bytes", more+max(0, len(line)-200))
	}
	p := &process{killStart: killStart, log: logger, cmd: cmd, quiet: quiet}
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: sdk.VersionedPlugins(),
		// go-plugin's environment (the cookie, the versions) is added to
		// spec's; the runner starts cmd with it (stdout.go).
		RunnerFunc: func(_ hclog.Logger, spec *exec.Cmd, socketDir string) (runner.Runner, error) {
			p.socketDir = socketDir
			cmd.Env = append(cmd.Env, spec.Env...)
			cmd.Stdin = spec.Stdin
			return newStdoutRunner(cmd, junk)
		},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Stderr:           cfg.Stderr,
		Logger:           logger,
		GRPCDialOptions:  append(sdk.DialOptions(), utf8DialOption(cfg.InvalidUTF8)),
		StartTimeout:     startTimeout,
		// go-plugin would add the whole environment to cmd.Env.
		SkipHostEnv: true,
	})
	p.client = c
	type started struct {
		rpc plugin.ClientProtocol
		err error
	}
	ch := make(chan started, 1)
	// Waited for below, in both cases.
	go func() {
		rpc, err := c.Client()
		ch <- started{rpc, err}
	}()
	var r started
	select {
	case r = <-ch:
	case <-ctx.Done():
		// go-plugin's Start holds the client until the handshake or
		// its timeout; killing the group ends it now.
		quiet.Store(true)
		killStart()
		r = <-ch
		if r.err == nil {
			r.err = ctx.Err()
		}
	}
	// c.Client has returned: go-plugin no longer writes cmd.Process.
	if cmd.Process != nil && hasGroups {
		p.pgid = cmd.Process.Pid
	}
	rpc, err := r.rpc, r.err
	if err != nil {
		p.abort()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("start plugin %s: %w", cfg.Path, ctx.Err())
		}
		if v, ok := otherVersion(err); ok {
			return nil, fmt.Errorf("%s: %w", cfg.Path, &sdk.VersionError{Plugin: v, Host: sdk.APIVersion})
		}
		if notHandshake(err) {
			return nil, fmt.Errorf("start plugin: %s exited before the plugin handshake (or printed something else): is it a passerelle plugin? %w", cfg.Path, err)
		}
		return nil, fmt.Errorf("start plugin %s: %w", cfg.Path, err)
	}
	// sdk.VersionedPlugins lists the older versions too, so an old
	// plugin gets this far and is refused here, by name.
	if v := c.NegotiatedVersion(); v != sdk.APIVersion {
		p.abort()
		return nil, fmt.Errorf("%s: %w", cfg.Path, &sdk.VersionError{Plugin: v, Host: sdk.APIVersion})
	}
	raw, err := rpc.Dispense(sdk.PluginName)
	if err != nil {
		p.abort()
		return nil, fmt.Errorf("plugin %s: %w", cfg.Path, err)
	}
	tc, ok := raw.(pb.TransportClient)
	if !ok {
		p.abort()
		return nil, fmt.Errorf("plugin %s: unexpected client type %T", cfg.Path, raw)
	}
	p.Transport, p.rpc = tc, rpc
	return p, nil
}

// notHandshake reports whether err is go-plugin's for a program that
// exited without a handshake line or printed another line: no passerelle
// plugin, most likely. Its own text speaks of RPC addresses and
// architectures, which does not tell the admin that.
func notHandshake(err error) bool {
	msg := err.Error()
	for _, s := range []string{
		"Unrecognized remote plugin message",
		"plugin exited before we could connect",
		"error parsing core protocol version",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// versionMismatch is go-plugin's error for a plugin whose protocol
// version the host does not list (a newer one).
var versionMismatch = regexp.MustCompile(`(?i)incompatible API version with plugin\. Plugin version: (\d+)`)

// otherVersion is the version a plugin said it speaks, when err is
// go-plugin's refusal of it.
func otherVersion(err error) (int, bool) {
	m := versionMismatch.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, false
	}
	v, err := strconv.Atoi(m[1])
	return v, err == nil
}

// Ping checks that the plugin still answers.
func (p *process) Ping(ctx context.Context) error {
	done := make(chan error, 1)
	// Not waited for past ctx: it holds only the plugin's connection,
	// and ends when Kill closes it; it runs no code of the caller's.
	go func() { done <- p.rpc.Ping() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Exited reports whether the process has ended.
func (p *process) Exited() bool { return p.client.Exited() }

// Stop pacing: go-plugin asks the plugin to exit and kills it after 2 s,
// but then waits for its stdout and stderr to close, which a child that
// inherited them (a shell script's command, one that never did the
// handshake) may never do.
var (
	// killGrace is how long Kill leaves go-plugin before it kills the
	// whole group.
	killGrace = 3 * time.Second
	// leftoverGrace is how long what a plugin that exited left running
	// (signal-cli, told by its death signal) has to end after SIGTERM,
	// before SIGKILL.
	leftoverGrace = 2 * time.Second
)

// Kill stops the process (gracefully first, then by force) and what it
// started: the plugin's process group.
func (p *process) Kill() {
	done := make(chan struct{})
	// Waited for below, but for a bounded time only (a process outside
	// the group may hold the pipes for ever): it runs go-plugin's code,
	// none of the caller's.
	go func() {
		defer close(done)
		p.client.Kill()
	}()
	select {
	case <-done:
		// The plugin is gone: its children go too.
		p.endGroup()
	case <-time.After(killGrace):
		p.killStart()
		if p.pgid != 0 {
			killGroup(p.pgid, syscall.SIGKILL)
		}
		select {
		case <-done:
		case <-time.After(killGrace):
			// Only a process that left the group (setsid) can still
			// hold the pipes: a stop is not held up for it.
			p.log.Warn("plugin killed, but a process outside its group holds its stdout or stderr open; not waiting for it")
		}
	}
	p.killStart() // releases the context
	p.removeSocketDir()
}

// abort ends a plugin that never came up, and its group, at once.
func (p *process) abort() {
	p.quiet.Store(true)
	p.killStart()
	if p.pgid != 0 {
		killGroup(p.pgid, syscall.SIGKILL)
	}
	p.client.Kill()
	p.removeSocketDir()
}

// removeSocketDir removes the folder go-plugin made for the plugin's
// socket. go-plugin removes it in its Kill only if a process was started,
// and only once the plugin's stdout and stderr closed: a plugin that could
// not be started, or one whose pipes a stray process holds, left one in
// the temporary folder at each start.
func (p *process) removeSocketDir() {
	if p.socketDir == "" {
		return
	}
	if err := os.RemoveAll(p.socketDir); err != nil {
		p.log.Warn("cannot remove the plugin's socket folder", "dir", p.socketDir, "err", err)
	}
}

// endGroup ends what is left of the plugin's group after the plugin
// itself exited: SIGTERM, then SIGKILL after leftoverGrace.
func (p *process) endGroup() {
	if p.pgid == 0 {
		return
	}
	// go-plugin has reaped the plugin, but a PID is not handed out again
	// while a group of that number has members; once it has none, the
	// signal finds no one (ESRCH).
	if killGroup(p.pgid, syscall.SIGTERM) != nil {
		return
	}
	for deadline := time.Now().Add(leftoverGrace); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if killGroup(p.pgid, 0) != nil {
			return
		}
	}
	killGroup(p.pgid, syscall.SIGKILL)
}

// exitStatus waits up to wait for the plugin to have exited, and reports
// how ("exit status 0", "signal: killed"); false while it runs.
func (p *process) exitStatus(wait time.Duration) (string, bool) {
	for deadline := time.Now().Add(wait); !p.client.Exited(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return "", false
		}
	}
	// go-plugin sets Exited once cmd.Wait returned, under its lock:
	// ProcessState is written by then.
	if ps := p.cmd.ProcessState; ps != nil {
		return ps.String(), true
	}
	return "exited", true
}

// Pid is the plugin's process ID, or 0.
func (p *process) Pid() int {
	if p.client.ReattachConfig() == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// truncate is s cut to at most n bytes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
