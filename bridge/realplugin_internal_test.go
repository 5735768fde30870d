package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/store"
)

// realTransport is a transport as the gateway runs it, on a real bbolt
// store in dir and the real echo plugin, but with no XMPP server: its link
// stays down (deliveries of stanzas wait), which a test of the start, the
// plugin and the outbox does without. Set its seams (out.handle) before
// runTransport.
func realTransport(t *testing.T, dir string, db *store.DB) (*transport, *syncbuf.Buffer) {
	t.Helper()
	bin := filepath.Join(dir, "passerelle-echo")
	build := exec.Command("go", "build", "-o", bin, "passerelle.im/passerelle/cmd/passerelle-echo")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // as TestMain's: the build cache serves both
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the echo plugin: %v\n%s", err, out)
	}
	return configuredTransport(t, dir, db, bin)
}

// configuredTransport is a transport made as the gateway makes it, from a
// configuration in dir naming the plugin bin and the store db, not run.
func configuredTransport(t *testing.T, dir string, db *store.DB, bin string) (*transport, *syncbuf.Buffer) {
	t.Helper()
	cfgPath := filepath.Join(dir, "passerelle.toml")
	cfg, err := config.Parse(cfgPath, fmt.Appendf(nil, `
[xmpp]
server = "127.0.0.1:1"

[store]
path = %q

[access]
allow = ["localhost"]

[[transport]]
name = "echo"
domain = "echo.localhost"
secret = "s3cret"
plugin = %q
`, db.Path(), bin))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gateway log:\n%s", logs)
		}
	})
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return newTransport(cfg, cfg.Transports[0], db, nil, log), logs
}

// runTransport runs tr until the stop it returns, which waits for the end.
func runTransport(t *testing.T, tr *transport) (stop func()) {
	t.Helper()
	return runUntilStop(t, tr.run)
}

// runUntilStop runs run until the stop it returns, which waits for
// run's end (30 s at most, else t fails).
func runUntilStop(t *testing.T, run func(context.Context)) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(ctx)
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("the transport did not stop within 30 s")
		}
	}
	t.Cleanup(stop)
	return stop
}
