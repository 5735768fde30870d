//go:build linux

package prosodytest_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/prosodytest"
	"passerelle.im/passerelle/internal/testserver"
)

// TestServerDiesWithTestRun: a test run that dies under its Prosody
// takes it with it, killed or Ctrl-C'd through its process group, which
// Prosody is not in.
func TestServerDiesWithTestRun(t *testing.T) {
	testserver.CheckDiesWithTestRun(t, func(t *testing.T) int {
		srv := prosodytest.Start(t, prosodytest.Options{})
		b, err := os.ReadFile(filepath.Join(srv.Dir(), "prosody.pid"))
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatalf("prosody.pid holds %q", b)
		}
		return pid
	})
}
