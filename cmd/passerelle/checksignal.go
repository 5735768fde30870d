package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// checkSignalCLI reports why the signal transport, whose plugin took its
// config configJSON, could not start signal-cli, if it could not. The
// plugin starts signal-cli at the first login, not at Init, so without
// this check-config passed a machine without it and every Signal login
// then failed. With socket set the admin runs signal-cli; nothing to
// find. The keys are the signal plugin's (plugins/signal Config).
func checkSignalCLI(configJSON []byte) error {
	var cfg struct {
		SignalCLI string `json:"signal_cli"`
		JavaHome  string `json:"java_home"`
		Socket    string `json:"socket"`
	}
	// The plugin took the config, so it decodes; keys beyond these are
	// left to the plugin.
	_ = json.Unmarshal(configJSON, &cfg)
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
	if cfg.JavaHome != "" {
		java := filepath.Join(cfg.JavaHome, "bin", "java")
		if _, err := exec.LookPath(java); err != nil {
			return fmt.Errorf("java_home %q: no %s: signal-cli needs Java 21 or newer there", cfg.JavaHome, java)
		}
		return nil
	}
	if isScript(path) {
		// The Java build's launcher (the native build needs no Java):
		// it runs $JAVA_HOME/bin/java, else java from PATH.
		if os.Getenv("JAVA_HOME") == "" {
			if _, err := exec.LookPath("java"); err != nil {
				return fmt.Errorf("%s needs Java 21 or newer, and there is no java in PATH: install one, or set java_home in [transport.config]", path)
			}
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
