package pluginhost

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	"passerelle.im/passerelle/plugins/sdk"
)

// oldPkg does the handshake of a plugin of another contract version.
const oldPkg = "passerelle.im/passerelle/bridge/pluginhost/testdata/oldplugin"

// A plugin of another contract version is refused at the handshake, with
// an error naming both versions; a newer one is told to wait for a newer
// gateway.
func TestOtherContractVersionRefused(t *testing.T) {
	bin := plugintest.BuildBinary(t, oldPkg)
	for _, c := range []struct {
		version string
		plugin  int
		text    string
	}{
		{"", 1, "plugin speaks contract v1, this gateway speaks v2: rebuild it with the current SDK"},
		{"3", 3, "plugin speaks contract v3, this gateway speaks v2: upgrade the gateway"},
	} {
		var env []string
		if c.version != "" {
			env = append(env, "PASSERELLE_TEST_PLUGIN_VERSION="+c.version)
		}
		p, err := launch(context.Background(), launchConfig{Path: bin, Env: env})
		if err == nil {
			p.Kill()
			t.Fatalf("v%d plugin: launched", c.plugin)
		}
		var ve *sdk.VersionError
		if !errors.As(err, &ve) || ve.Plugin != c.plugin || ve.Host != sdk.APIVersion {
			t.Errorf("v%d plugin: error %v (%T), want a VersionError naming v%d and v%d", c.plugin, err, err, c.plugin, sdk.APIVersion)
		}
		if !strings.Contains(err.Error(), c.text) {
			t.Errorf("v%d plugin: error %q, want it to say %q", c.plugin, err, c.text)
		}
	}
}

// The supervisor logs the refusal where an admin sees it, never calls
// the plugin (no Init, so no OnReady), and does not retry at a fast pace.
func TestOldPluginRefusedAndLogged(t *testing.T) {
	h, rec, logs := start(t, plugintest.BuildBinary(t, oldPkg), time.Second)
	want := "plugin speaks contract v1, this gateway speaks v2: rebuild it with the current SDK"
	waitFor(t, "the refusal in the log", func() bool { return strings.Contains(logs.String(), want) })
	time.Sleep(time.Second)
	if n := strings.Count(logs.String(), want); n != 1 {
		t.Errorf("refusal logged %d times within a second, want once (then the longest backoff)", n)
	}
	if rec.ready.Load() != 0 || h.Caps() != nil {
		t.Errorf("the old plugin was initialised: ready %d, caps %v", rec.ready.Load(), h.Caps())
	}
	if _, err := h.Client(); err == nil {
		t.Error("a client for the refused plugin")
	}
}

// A plugin that passes the handshake but declares another api_version in
// Init is refused too, by name, before the streams open.
func TestInitAPIVersionChecked(t *testing.T) {
	// The name makes the test plugin do so (the host passes it no
	// variable of the test's).
	bin := filepath.Join(t.TempDir(), "oldplugin-init1")
	data, err := os.ReadFile(plugintest.BuildBinary(t, oldPkg))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o700); err != nil {
		t.Fatal(err)
	}
	h, rec, logs := start(t, bin, time.Second)
	want := "plugin Init: plugin speaks contract v1, this gateway speaks v2: rebuild it with the current SDK"
	waitFor(t, "the refusal in the log", func() bool { return strings.Contains(logs.String(), want) })
	if rec.ready.Load() != 0 {
		t.Errorf("the plugin was taken on: OnReady ran %d times", rec.ready.Load())
	}
	if _, err := h.Client(); err == nil {
		t.Error("a client for the refused plugin")
	}
}
