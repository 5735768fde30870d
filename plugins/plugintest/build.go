package plugintest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// builds holds the plugin binaries built by this test process, one per
// package, in one temporary folder.
var builds struct {
	mu   sync.Mutex
	dir  string
	bins map[string]string
}

// BuildBinary builds the main package pkg (an import path such as
// "passerelle.im/passerelle/cmd/passerelle-echo", or a path relative to
// the test's package folder) with `go build` and returns the binary's
// path. It builds each package once per test process; a test binary run
// with -race gets a plugin built with -race, so the conformance checks
// also catch the plugin's data races.
//
// The binaries live in a temporary folder that Main removes; without Main
// it is left in the system's temporary folder.
func BuildBinary(t testing.TB, pkg string) string {
	t.Helper()
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if bin, ok := builds.bins[pkg]; ok {
		return bin
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "plugintest-")
		if err != nil {
			t.Fatalf("plugintest: build folder: %v", err)
		}
		builds.dir = dir
		builds.bins = map[string]string{}
	}
	bin := filepath.Join(builds.dir, fmt.Sprintf("%d-%s", len(builds.bins), path.Base(filepath.ToSlash(pkg))))
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, pkg)
	cmd := exec.Command("go", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("plugintest: go %v: %v\n%s", args, err, out.Bytes())
	}
	consultSources(t, pkg)
	builds.bins[pkg] = bin
	return bin
}

// consultSources looks at the Go files the plugin pkg is built from,
// outside the module cache, so that go test's cache, which cannot see
// them (the plugin is built by a command, not linked into the test),
// runs the test again when one changed rather than report a stale "ok".
func consultSources(t testing.TB, pkg string) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", pkg).Output()
	if err != nil {
		t.Logf("plugintest: go list %s: %v (go test's cache may not see the plugin's changes)", pkg, err)
		return
	}
	for _, dir := range strings.Fields(string(out)) {
		if strings.Contains(filepath.ToSlash(dir), "/pkg/mod/") {
			continue // a module of a fixed version
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".go") {
				_, _ = os.Stat(filepath.Join(dir, e.Name())) // consulted, not used
			}
		}
	}
}

// Main runs the tests of a package and then removes the binaries
// BuildBinary made. Call it from TestMain:
//
//	func TestMain(m *testing.M) { plugintest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	builds.mu.Lock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
		builds.dir, builds.bins = "", nil
	}
	builds.mu.Unlock()
	os.Exit(code)
}
