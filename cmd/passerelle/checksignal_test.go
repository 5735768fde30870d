package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
)

// TestCheckConfigSignalCLIMissing: check-config with the signal
// transport on a machine without signal-cli says so and exits 1, as for
// a missing plugin binary (the plugin refuses its Init); it said the
// plugin took its config and exited 0, and every Signal login failed
// later. A signal-cli found with its Java, or a socket to the admin's
// own daemon, passes.
func TestCheckConfigSignalCLIMissing(t *testing.T) {
	plugin := plugintest.BuildBinary(t, "passerelle.im/passerelle/cmd/passerelle-signal")
	bin := t.TempDir()
	write := func(path, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	javaHome := t.TempDir()
	write(filepath.Join(javaHome, "bin", "java"), "#!/bin/sh\n")
	base := `
[access]
allow = ["localhost"]
[[transport]]
name = "signal"
domain = "signal.localhost"
secret = "x"
plugin = "` + plugin + `"
[transport.config]
`
	run := func(config string) (int, string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "passerelle.toml")
		write(path, base+config)
		t.Setenv("PATH", bin)
		t.Setenv("JAVA_HOME", "")
		code, _, errs := call("check-config", "-c", path)
		return code, errs
	}
	// The plugin refuses its Init (plugins/signal TestConfigSignalCLIMissing
	// has each case); check-config says so at the config's line.
	if code, errs := run(""); code != 1 || !strings.Contains(errs, ":9: transport signal: ") || !strings.Contains(errs, `"signal-cli": not found in PATH (`+bin+`)`) || !strings.Contains(errs, "install signal-cli") {
		t.Errorf("no signal-cli: exit %d, stderr %q", code, errs)
	}
	// signal-cli's Java launcher with a Java, or the admin's own daemon.
	write(filepath.Join(bin, "signal-cli"), "#!/bin/sh\n")
	for _, ok := range []string{
		`java_home = "` + javaHome + `"` + "\n" + `signal_cli = "` + filepath.Join(bin, "signal-cli") + `"` + "\n",
		`socket = "/run/signal-cli/socket"` + "\n" + `signal_cli = "/nonexistent/signal-cli"` + "\n",
	} {
		if code, errs := run(ok); code != 0 {
			t.Errorf("config %q: exit %d, stderr %q; want 0", ok, code, errs)
		}
	}
}
