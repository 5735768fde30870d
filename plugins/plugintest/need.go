package plugintest

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// Need checks that something a test needs outside Go is installed (a
// plugin's interpreter and its libraries) by running probe, a command and
// its arguments, which must exit 0. When it does not, the test is skipped
// with what is missing and how to install it (what), or fails when the
// environment variable CI is "true": CI installs everything and runs every
// test, and a missing install step must not pass as a skip.
func Need(t testing.TB, what string, probe ...string) {
	t.Helper()
	if len(probe) == 0 {
		t.Fatal("plugintest: Need without a probe command")
	}
	cmd := exec.Command(probe[0], probe[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err == nil {
		return
	}
	msg := "plugintest: %s is missing (%v: %v)\n%s"
	if os.Getenv("CI") == "true" {
		t.Fatalf(msg, what, probe, err, out.Bytes())
		return
	}
	t.Skipf(msg, what, probe, err, out.Bytes())
}
