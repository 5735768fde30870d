package signal

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/sdk"
)

// TestConfigUnknownKey: a key of [transport.config] the plugin does not
// know (a typo) is refused at Init, naming it and the one meant. It was
// ignored: the setting silently kept its default.
func TestConfigUnknownKey(t *testing.T) {
	_, err := New().Init(context.Background(), sdk.InitRequest{ConfigJSON: []byte(`{"sokcet": "/run/signal.sock"}`), DataDir: t.TempDir()}, nil)
	if err == nil || !strings.Contains(err.Error(), `unknown key "sokcet"`) || !strings.Contains(err.Error(), `"socket"`) {
		t.Fatalf("a mistyped key: %v", err)
	}
}

// TestConfigSignalCLIMissing: without signal-cli on the machine (or
// with signal_cli or java_home naming nothing) Init refuses, saying what
// to install or set, so that check-config and the gateway's start say
// it; the plugin took the config and every Signal login failed later.
// A signal-cli found with its Java, a native one, or a socket to the
// admin's own daemon passes.
func TestConfigSignalCLIMissing(t *testing.T) {
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
	t.Setenv("PATH", bin)
	t.Setenv("JAVA_HOME", "")
	initWith := func(config string) error {
		t.Helper()
		_, err := New().Init(context.Background(), sdk.InitRequest{ConfigJSON: []byte(config), DataDir: t.TempDir()}, &recordingHost{})
		return err
	}
	for _, tc := range []struct{ config, want string }{
		{`{}`, `signal_cli (default signal-cli) "signal-cli": not found in PATH (` + bin + `)`},
		{`{"signal_cli": "/nonexistent/signal-cli"}`, `signal_cli "/nonexistent/signal-cli": no such executable file`},
	} {
		if err := initWith(tc.config); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "install signal-cli") {
			t.Errorf("config %s: %v; want %q", tc.config, err, tc.want)
		}
	}

	// signal-cli's Java launcher, without a Java.
	write(filepath.Join(bin, "signal-cli"), "#!/bin/sh\n")
	if err := initWith(`{}`); err == nil || !strings.Contains(err.Error(), "needs Java 21 or newer, and there is no java in PATH") {
		t.Errorf("no java: %v", err)
	}
	if err := initWith(`{"java_home": "/nonexistent"}`); err == nil || !strings.Contains(err.Error(), `java_home "/nonexistent": no /nonexistent/bin/java`) {
		t.Errorf("java_home without java: %v", err)
	}
	native := filepath.Join(t.TempDir(), "signal-cli")
	write(native, "\x7fELF")
	for _, ok := range []string{
		`{"java_home": "` + javaHome + `"}`,
		`{"signal_cli": "` + native + `"}`,
		`{"socket": "/run/signal-cli/socket", "signal_cli": "/nonexistent/signal-cli"}`,
	} {
		if err := initWith(ok); err != nil {
			t.Errorf("config %s: %v; want none", ok, err)
		}
	}
}
