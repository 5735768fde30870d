//go:build linux

package ngircdtest_test

import (
	"testing"

	"passerelle.im/passerelle/internal/ngircdtest"
	"passerelle.im/passerelle/internal/testserver"
)

// TestServerDiesWithTestRun: a test run that dies under its ngircd takes
// it with it, killed or Ctrl-C'd through its process group.
func TestServerDiesWithTestRun(t *testing.T) {
	testserver.CheckDiesWithTestRun(t, func(t *testing.T) int {
		return ngircdtest.Start(t, ngircdtest.Config{}).Pid()
	})
}
