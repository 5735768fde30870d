// Package gatewaytest runs the whole stack for a plugin's end-to-end tests:
// a real Prosody, the gateway (bridge.Run, in the test's process) and the
// plugin binary under test as the gateway's child, plus XMPP clients of
// registered users. Each transport's tests use it from their own package;
// the bridge's own tests keep their richer harness (bridge/stack_test.go).
package gatewaytest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge"
	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/internal/xmpptest"
)

// Timeout bounds each wait of the helpers here for something to happen.
// CI runs every package at once on 2 cores under -race: it bounds a
// failure, it does not pace a passing test. Do not wait this long to
// check that something does not happen.
const Timeout = 30 * time.Second

// Options say what to run.
type Options struct {
	// Plugin is the plugin binary (see Build). Required.
	Plugin string
	// Name is the transport's name in the config; default "test".
	Name string
	// Domain is the transport's component JID; default Name+".localhost".
	Domain string
	// PluginConfig is the body of [transport.config], in TOML
	// (`api_id = 1`...); "" = none.
	PluginConfig string
	// Extra is more TOML for the [[transport]] table (archive_days = 1...).
	Extra string
	// Backfill is backfill_messages; 0 turns backfill off.
	Backfill int
	// Privileged grants the component XEP-0356 roster and message
	// permission (mod_privilege).
	Privileged bool
	// HTTPUpload adds Prosody's XEP-0363 service upload.localhost, which
	// the gateway uses for files from the network.
	HTTPUpload bool
}

// Gateway is a running stack. Its fields may be read, not changed.
type Gateway struct {
	T      *testing.T
	Server *prosodytest.Server
	// Domain is the transport's component JID.
	Domain string
	// Dir is the gateway's working folder (its config, store and the
	// plugin's data folder under data/).
	Dir string
	// Logs is the gateway's log (debug level), shown when the test fails.
	Logs *syncbuf.Buffer

	cfgPath string
	cancel  context.CancelFunc
	done    chan struct{}
}

// Start starts Prosody and the gateway; both stop when the test ends.
func Start(t *testing.T, o Options) *Gateway {
	t.Helper()
	if o.Plugin == "" {
		t.Fatal("gatewaytest: Options.Plugin is required")
	}
	if o.Name == "" {
		o.Name = "test"
	}
	if o.Domain == "" {
		o.Domain = o.Name + ".localhost"
	}
	const secret = "gatewaytest-secret"
	srv := prosodytest.Start(t, prosodytest.Options{
		Components: []prosodytest.Component{{Domain: o.Domain, Secret: secret, Privileged: o.Privileged}},
		HTTPUpload: o.HTTPUpload,
	})
	g := &Gateway{T: t, Server: srv, Domain: o.Domain, Dir: t.TempDir(), Logs: &syncbuf.Buffer{}}
	var pc string
	if o.PluginConfig != "" {
		pc = "\n[transport.config]\n" + o.PluginConfig + "\n"
	}
	cfg := fmt.Sprintf(`
[xmpp]
server = %q
ping_interval = "2s"
ping_timeout = "2s"

[store]
path = "data/passerelle.db"

[access]
allow = ["localhost"]
admins = ["admin@localhost"]

[log]
level = "debug"

[[transport]]
name = %q
domain = %q
secret = %q
plugin = %q
backfill_messages = %d
%s
%s`, srv.ComponentAddr(), o.Name, o.Domain, secret, o.Plugin, o.Backfill, o.Extra, pc)
	g.cfgPath = filepath.Join(g.Dir, "passerelle.toml")
	if err := os.WriteFile(g.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		g.Stop()
		if t.Failed() {
			t.Logf("gateway log:\n%s", g.Logs)
			t.Logf("prosody log tail:\n%s", srv.LogTail())
		}
	})
	g.Run()
	return g
}

// Run starts the gateway on its config (again, after Stop).
func (g *Gateway) Run() {
	g.T.Helper()
	if g.cancel != nil {
		g.T.Fatal("gatewaytest: the gateway is already running")
	}
	cfg, err := config.Load(g.cfgPath)
	if err != nil {
		g.T.Fatalf("config: %v", err)
	}
	// The config's relative paths are the gateway's working folder's.
	log := slog.New(slog.NewTextHandler(g.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel, g.done = cancel, make(chan struct{})
	go func() {
		defer close(g.done)
		if err := bridge.Run(ctx, cfg, log); err != nil {
			fmt.Fprintf(g.Logs, "bridge.Run: %v\n", err)
		}
	}()
}

// Stop stops the gateway (and so its plugin) and waits for it.
func (g *Gateway) Stop() {
	if g.cancel == nil {
		return
	}
	g.cancel()
	select {
	case <-g.done:
	case <-time.After(Timeout):
		g.T.Errorf("gateway did not stop within %v", Timeout)
	}
	g.cancel = nil
}

// Restart stops the gateway and starts it again on the same store.
func (g *Gateway) Restart() {
	g.T.Helper()
	g.Stop()
	g.Run()
}

// WaitLog waits until the gateway's log holds s.
func (g *Gateway) WaitLog(s string) {
	g.T.Helper()
	deadline := time.Now().Add(Timeout)
	for !strings.Contains(g.Logs.String(), s) {
		if time.Now().After(deadline) {
			g.T.Fatalf("the gateway's log never said %q", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// User registers an account name@localhost (password "pw-"+name) on
// Prosody and logs a client in, with initial presence.
func (g *Gateway) User(name string) *xmpptest.Client {
	g.T.Helper()
	if err := g.Server.Register(name, "pw-"+name); err != nil {
		g.T.Fatalf("register %s: %v", name, err)
	}
	return g.Login(name, "")
}

// Login logs one more client of an existing user in, on this resource
// ("" = the server's choice), with initial presence: without it the
// server keeps messages to the bare JID from the session.
func (g *Gateway) Login(name, resource string) *xmpptest.Client {
	g.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	j := jid.MustParse(name + "@localhost")
	if resource != "" {
		j, _ = j.WithResource(resource)
	}
	c, err := xmpptest.DialOnline(ctx, g.Server.C2SAddr(), j, "pw-"+name)
	if err != nil {
		g.T.Fatalf("log in %s: %v", name, err)
	}
	g.T.Cleanup(func() { c.Close() })
	return c
}

// WaitReady waits until the transport answers disco#info through the
// server, i.e. the component link is up.
func (g *Gateway) WaitReady(c *xmpptest.Client) {
	g.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if err := c.WaitDiscoInfo(ctx, g.Domain); err != nil {
		g.T.Fatal(err)
	}
}

// Build builds a command of this module (an import path such as
// "passerelle.im/passerelle/cmd/passerelle-irc") without cgo, as make
// build does, into dir, and returns the binary's path. Call it from
// TestMain, once for all tests of a package.
func Build(dir, pkg string) (string, error) {
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building %s: %w\n%s", pkg, err, out)
	}
	return bin, nil
}
