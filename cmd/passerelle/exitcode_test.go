package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRunConfigErrorExitStatus: the gateway binary given a broken
// configuration, or a data folder it cannot create, exits with
// EX_CONFIG (78), which the systemd unit does not restart on; it exited
// 1, as for any failure, and the unit's Restart=on-failure restarted it
// every 5 s for ever.
func TestRunConfigErrorExitStatus(t *testing.T) {
	// A file where a folder must be: unwritable even to root.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, config string }{
		{"broken", broken},
		{"unwritable data_dir", valid + "data_dir = \"" + filepath.Join(file, "echo") + "\"\n"},
	} {
		path := setup(t, tc.config)
		cmd := exec.Command(os.Args[0], "run", "-c", path)
		cmd.Env = append(os.Environ(), "PASSERELLE_TEST_MAIN=1")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitConfig {
			t.Errorf("%s: %v, want exit status %d; output:\n%s", tc.name, err, exitConfig, out)
		}
	}
}

// TestUnitPreventsRestartOnConfigError: the example unit names the
// configuration error's exit status in RestartPreventExitStatus.
func TestUnitPreventsRestartOnConfigError(t *testing.T) {
	unit, err := os.ReadFile("../../examples/passerelle.service")
	if err != nil {
		t.Fatal(err)
	}
	want := "RestartPreventExitStatus=" + strconv.Itoa(exitConfig)
	if !strings.Contains("\n"+string(unit), "\n"+want+"\n") {
		t.Errorf("examples/passerelle.service lacks the line %q", want)
	}
}

// TestCheckConfigFolderInTheWay: a data_dir (or store folder) that a
// file stands in the way of is an error of check-config, as it is of
// run (exit 78); check-config passed it.
func TestCheckConfigFolderInTheWay(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for key, extra := range map[string]string{
		"transport[0].data_dir": "data_dir = \"" + filepath.Join(file, "echo") + "\"\n",
		"store.path":            "[store]\npath = \"" + filepath.Join(file, "db", "passerelle.db") + "\"\n",
	} {
		path := setup(t, valid+extra)
		code, _, errs := call("check-config", "-no-plugins", "-c", path)
		if want := key + ": cannot create "; code != 1 || !strings.Contains(errs, want) || !strings.Contains(errs, file+" is a file, not a folder") {
			t.Errorf("%s: exit %d, stderr %q; want 1 and %q", key, code, errs, want)
		}
	}
}
