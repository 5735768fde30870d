package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
)

// setup writes a configuration file into a fresh folder and puts the
// echo plugin in PATH as passerelle-echo; it returns the file's path.
func setup(t *testing.T, data string) string {
	t.Helper()
	return setupPlugin(t, data, plugintest.BuildBinary(t, "passerelle.im/passerelle/cmd/passerelle-echo"))
}

// setupPlugin is setup with plugin as passerelle-echo.
func setupPlugin(t *testing.T, data, plugin string) string {
	t.Helper()
	bin := t.TempDir()
	if err := os.Symlink(plugin, filepath.Join(bin, "passerelle-echo")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	// Unset, not empty (which check-config says is set but empty); the
	// Setenv restores it after the test.
	t.Setenv("PASSERELLE_SECRET_ECHO", "")
	os.Unsetenv("PASSERELLE_SECRET_ECHO")
	path := filepath.Join(t.TempDir(), "passerelle.toml")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const valid = `
[access]
allow = ["localhost"]
[[transport]]
name = "echo"
domain = "echo.localhost"
secret = "hunter2"
`

// broken has two problems: an unknown key and a missing secret.
const broken = `
[access]
allow = ["localhost"]
[[transport]]
name = "echo"
domain = "echo.localhost"
colour = "blue"
`

func call(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckConfigOK(t *testing.T) {
	path := setup(t, valid)
	code, out, errs := call("check-config", "-c", path)
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{path, "echo.localhost", "passerelle-echo", "from secret", "transport echo: plugin started and took its config (Echo "} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("summary shows the secret:\n%s", out)
	}
}

// TestCheckConfigStartsPlugins: check-config starts each enabled
// plugin with its [transport.config]: a key the plugin refuses, or a
// binary that is no plugin, is a problem with the file's path and the
// line of the transport's config (else block) in front,
// found before the first run (which restarted the plugin in a loop);
// -no-plugins starts none. It passed such a file.
func TestCheckConfigStartsPlugins(t *testing.T) {
	path := setup(t, valid+"[transport.config]\ncontactz = 3\n")
	code, out, errs := call("check-config", "-c", path)
	if code != 1 || !strings.HasPrefix(errs, path+":8: transport echo: plugin ") ||
		!strings.Contains(errs, `the plugin refused to start: echo: the transport's config: unknown key "contactz"`) {
		t.Errorf("a config key the plugin refuses: exit %d, stderr %q", code, errs)
	}
	if !strings.Contains(out, "config:   contactz") {
		t.Errorf("the summary is not printed before the plugin's problem:\n%s", out)
	}
	if code, _, errs := call("check-config", "-no-plugins", "-c", path); code != 0 || errs != "" {
		t.Errorf("-no-plugins: exit %d, stderr %q", code, errs)
	}

	script := filepath.Join(t.TempDir(), "not-a-plugin")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	path = setupPlugin(t, valid, script)
	if code, _, errs := call("check-config", "-c", path); code != 1 || !strings.HasPrefix(errs, path+":4: transport echo: plugin ") {
		t.Errorf("a binary that is no plugin: exit %d, stderr %q", code, errs)
	}
}

func TestCheckConfigDefaultFile(t *testing.T) {
	path := setup(t, valid)
	t.Chdir(filepath.Dir(path))
	if code, _, errs := call("check-config"); code != 0 {
		t.Errorf("check-config without -c: exit %d, stderr %q", code, errs)
	}
}

func TestCheckConfigBroken(t *testing.T) {
	path := setup(t, broken)
	code, out, errs := call("check-config", "-c", path)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if out != "" {
		t.Errorf("stdout %q, want nothing", out)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	want := []string{
		path + ":4: transport[0].secret: missing for transport echo (echo.localhost): set secret, secret_file, or env PASSERELLE_SECRET_ECHO",
		path + ":7: transport[0].colour: unknown key",
	}
	if len(lines) != len(want) {
		t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(want), errs)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d = %q, want %q", i, lines[i], want[i])
		}
	}
}

// TestCheckConfigMissingFile: a missing configuration file is one line
// that names the file and says how to give one, for every command that
// reads it (a new user's first "passerelle run" in the wrong folder).
func TestCheckConfigMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.toml")
	for _, cmd := range []string{"check-config", "run", "check-store"} {
		code, _, errs := call(cmd, "-c", path)
		want := 1
		if cmd == "run" {
			want = exitConfig
		}
		if code != want || !strings.HasPrefix(errs, path+": ") || strings.Count(errs, "\n") != 1 ||
			!strings.Contains(errs, "-c FILE") || !strings.Contains(errs, "examples/passerelle.toml") {
			t.Errorf("%s: exit %d, stderr %q; want one line naming the file, -c FILE and the example", cmd, code, errs)
		}
	}
}

// TestConfigFolderGiven: -c naming a folder (/etc/passerelle) is said
// as such, with the file to give, by every command; it was "read
// /etc/passerelle: is a directory".
func TestConfigFolderGiven(t *testing.T) {
	dir := t.TempDir()
	for _, cmd := range []string{"check-config", "run", "check-store"} {
		code, _, errs := call(cmd, "-c", dir)
		want := 1
		if cmd == "run" {
			want = exitConfig
		}
		if code != want || !strings.Contains(errs, dir+": a folder, not the configuration file") || !strings.Contains(errs, "-c "+filepath.Join(dir, "passerelle.toml")) {
			t.Errorf("%s: exit %d, stderr %q; want the folder said and the file to give", cmd, code, errs)
		}
	}
}

func TestCheckConfigExample(t *testing.T) {
	setup(t, "")
	if code, _, errs := call("check-config", "-c", "../../examples/passerelle.toml"); code != 0 {
		t.Errorf("examples/passerelle.toml: exit %d:\n%s", code, errs)
	}
}

func TestRunBrokenConfig(t *testing.T) {
	path := setup(t, broken)
	code, _, errs := call("run", "-c", path)
	if code != exitConfig || !strings.Contains(errs, "transport[0].secret: missing") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := call("version")
	if code != 0 || !strings.HasPrefix(out, "passerelle ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("exit %d, output %q", code, out)
	}
	old := version
	version = "v1.2.3"
	defer func() { version = old }()
	if _, out, _ := call("version"); !strings.HasPrefix(out, "passerelle v1.2.3 ") {
		t.Errorf("with -X main.version: %q", out)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"-h"}, {"--help"}, {"help"},
		{"run", "-h"}, {"run", "--help"},
		{"check-config", "-h"}, {"check-config", "--help"},
		{"version", "-h"}, {"version", "--help"},
	} {
		code, out, errs := call(args...)
		if code != 0 || errs != "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, errs)
		}
		want := "Usage: passerelle " + args[0]
		if len(args) == 1 {
			want = "passerelle run"
		}
		if !strings.Contains(out, want) {
			t.Errorf("%q: help lacks %q:\n%s", args, want, out)
		}
		if len(args) > 1 && args[0] != "version" && !strings.Contains(out, "-c FILE") {
			t.Errorf("%q: help does not document -c:\n%s", args, out)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"check-config", "-x"},
		{"check-config", "extra"},
		{"version", "extra"},
		{"run", "-c"},
	} {
		code, out, errs := call(args...)
		if code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		if out != "" || !strings.Contains(errs, "sage") {
			t.Errorf("%q: stdout %q, stderr %q; want usage on stderr", args, out, errs)
		}
	}
	if _, _, errs := call("frobnicate"); !strings.Contains(errs, `unknown command "frobnicate"`) {
		t.Errorf("stderr %q", errs)
	}
}
