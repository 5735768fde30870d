package main

import (
	"os"
	"strings"
	"testing"
)

// TestCheckConfigPermissions: a configuration with a secret inline that
// others may read gets a warning in check-config's output, and the exit
// status stays 0.
func TestCheckConfigPermissions(t *testing.T) {
	path := setup(t, valid)
	code, out, errs := call("check-config", "-c", path)
	// No warning about the file (the server's is another matter: none
	// runs here).
	if code != 0 || strings.Contains(out, "warning:   "+path) {
		t.Fatalf("private file: exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = call("check-config", "-c", path)
	want := "warning:   " + path + " has mode 0644, want 0600 or narrower: it holds transport echo's secret"
	if code != 0 || errs != "" || !strings.Contains(out, want) {
		t.Errorf("readable file: exit %d, stderr %q; stdout lacks %q:\n%s", code, errs, want, out)
	}
}
