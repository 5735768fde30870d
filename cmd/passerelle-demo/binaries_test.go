//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinariesMissingSaid: the demo alone in its folder, as go run
// ./cmd/passerelle-demo builds it, says before anything starts that the
// gateway and the echo plugin are not beside it and how to build them.
// (Prosody started first, then "fork/exec /tmp/go-build.../passerelle:
// no such file or directory".)
func TestBinariesMissingSaid(t *testing.T) {
	alone := filepath.Join(t.TempDir(), "passerelle-demo")
	data, err := os.ReadFile(filepath.Join(binDir, "passerelle-demo"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(alone, data, 0o755); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(t.TempDir(), "demo")
	cmd := exec.Command(alone, "-once", "-dir", work)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("%v, want exit status 1", err)
	}
	want := "passerelle and passerelle-echo not beside passerelle-demo (in " + filepath.Dir(alone) + "), which runs them from its own folder: run make demo"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("the error lacks %q:\n%s", want, stderr.String())
	}
	if strings.Contains(stdout.String(), "starting Prosody") {
		t.Errorf("Prosody started before the missing binaries were said:\n%s", stdout.String())
	}
	if _, err := os.Stat(work); err == nil {
		t.Errorf("the work folder %s was made", work)
	}
}

// TestProsodyMissingSaid: without Prosody in PATH the demo says so in
// a user's words, with what installs it, before anything starts; it
// said "prosodytest: prosody not found (run scripts/install-deps.sh)",
// the name of a test package and no word of make demo.
func TestProsodyMissingSaid(t *testing.T) {
	work := filepath.Join(t.TempDir(), "demo")
	cmd := exec.Command(filepath.Join(binDir, "passerelle-demo"), "-once", "-dir", work)
	cmd.Env = append(os.Environ(), "PATH="+t.TempDir())
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("%v, want exit status 1", err)
	}
	for _, want := range []string{"the demo needs Prosody, which is not installed", "make demo installs it", "scripts/install-deps.sh --demo"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the error lacks %q:\n%s", want, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "prosodytest") {
		t.Errorf("the error names the test package prosodytest:\n%s", stderr.String())
	}
	if _, err := os.Stat(work); err == nil {
		t.Errorf("the work folder %s was made", work)
	}
}
