package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
)

// TestCheckConfigSignalCLIMissing: check-config with the signal
// transport on a machine without signal-cli (or with signal_cli, or
// java_home, naming nothing) says so and exits 1, as for a missing
// plugin binary; it said the plugin took its config and exited 0, and
// every Signal login failed later. A signal-cli found (with its Java),
// or a socket to the admin's own daemon, passes.
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
	for _, tc := range []struct{ config, want string }{
		{"", `signal_cli (default signal-cli) "signal-cli": not found in PATH (` + bin + `)`},
		{`signal_cli = "/nonexistent/signal-cli"` + "\n", `signal_cli "/nonexistent/signal-cli": no such executable file`},
	} {
		if code, errs := run(tc.config); code != 1 || !strings.Contains(errs, ":9: transport signal: "+tc.want) || !strings.Contains(errs, "install signal-cli") {
			t.Errorf("config %q: exit %d, stderr %q; want %q", tc.config, code, errs, tc.want)
		}
	}

	// signal-cli's Java launcher, without a Java.
	write(filepath.Join(bin, "signal-cli"), "#!/bin/sh\n")
	if code, errs := run(""); code != 1 || !strings.Contains(errs, "needs Java 21 or newer, and there is no java in PATH") {
		t.Errorf("no java: exit %d, stderr %q", code, errs)
	}
	if code, errs := run(`java_home = "/nonexistent"` + "\n"); code != 1 || !strings.Contains(errs, `java_home "/nonexistent": no /nonexistent/bin/java`) {
		t.Errorf("java_home without java: exit %d, stderr %q", code, errs)
	}
	for _, ok := range []string{
		`java_home = "` + javaHome + `"` + "\n",
		`socket = "/run/signal-cli/socket"` + "\n" + `signal_cli = "/nonexistent/signal-cli"` + "\n",
	} {
		if code, errs := run(ok); code != 0 {
			t.Errorf("config %q: exit %d, stderr %q; want 0", ok, code, errs)
		}
	}
}
