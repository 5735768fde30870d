package signal

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// checkCLI reports why signal-cli, as cfg names it, could not start on
// this machine, if it could not: Init refuses then, so that check-config
// and the gateway's start say it (the daemon starts only at a login,
// where each login failed alone). With socket set the admin runs
// signal-cli; there is nothing to find.
func checkCLI(cfg Config) error {
	if cfg.Socket != "" {
		return nil
	}
	name, key := cfg.SignalCLI, "signal_cli"
	if name == "" {
		name, key = "signal-cli", "signal_cli (default signal-cli)"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		what := "not found in PATH (" + os.Getenv("PATH") + ")"
		if strings.ContainsRune(name, '/') {
			what = "no such executable file"
		}
		return fmt.Errorf("%s %q: %s; the Signal logins need it: install signal-cli (and Java 21 or newer), or set signal_cli in [transport.config] to its path, or socket to the socket of a signal-cli daemon you run", key, name, what)
	}
	if !isScript(path) {
		return nil // the native build needs no Java
	}
	// The Java build's launcher runs $JAVA_HOME/bin/java, else java from
	// PATH; java_home sets JAVA_HOME (daemon.go).
	if cfg.JavaHome != "" {
		java := filepath.Join(cfg.JavaHome, "bin", "java")
		if _, err := exec.LookPath(java); err != nil {
			return fmt.Errorf("java_home %q: no %s: signal-cli needs Java 21 or newer there", cfg.JavaHome, java)
		}
		return nil
	}
	if os.Getenv("JAVA_HOME") == "" {
		if _, err := exec.LookPath("java"); err != nil {
			return fmt.Errorf("%s needs Java 21 or newer, and there is no java in PATH: install one, or set java_home in [transport.config]", path)
		}
	}
	return nil
}

// isScript reports whether the file at path starts with "#!".
func isScript(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 2)
	n, _ := f.Read(head)
	return bytes.Equal(head[:n], []byte("#!"))
}
