package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckConfigPermissions: a configuration with a secret inline that
// others may read gets a warning in check-config's output, which sends the
// secret to secrets.env beside it, and the exit status stays 0.
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
	want := "warning:   " + path + " has mode 0644: it holds the secret of transport echo, which group or others can read; move it to " + filepath.Join(filepath.Dir(path), "secrets.env")
	if code != 0 || errs != "" || !strings.Contains(out, want) {
		t.Errorf("readable file: exit %d, stderr %q; stdout lacks %q:\n%s", code, errs, want, out)
	}
}
