package sdk_test

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
)

// TestPluginRunByHand: a plugin binary run by hand, not by the gateway,
// says what it is in passerelle's words (the gateway starts it, the
// config's plugin key) or its version, and exits 0 when asked for
// that, 2 otherwise. It printed go-plugin's generic "This binary is a
// plugin..." and exited 1, --help and version alike.
func TestPluginRunByHand(t *testing.T) {
	bin := plugintest.BuildBinary(t, "passerelle.im/passerelle/cmd/passerelle-echo")
	name := filepath.Base(bin)
	for _, c := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"--help"}, 0, []string{"passerelle plugin", "the passerelle gateway starts it", `plugin = "` + name + `"`}},
		{[]string{"-h"}, 0, []string{"passerelle plugin"}},
		{[]string{"version"}, 0, []string{name + " devel", "plugin contract"}},
		{nil, 2, []string{"passerelle plugin", "not run by hand"}},
		{[]string{"serve"}, 2, []string{`unknown argument "serve"`, "passerelle plugin"}},
	} {
		cmd := exec.Command(bin, c.args...)
		cmd.Env = []string{"PATH=/usr/bin:/bin"} // no handshake cookie
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		out := stdout.String()
		if c.code != 0 {
			out = stderr.String()
		}
		if code != c.code {
			t.Errorf("%v: exit %d, want %d; stdout %q stderr %q", c.args, code, c.code, stdout.String(), stderr.String())
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: %q, want %q in it", c.args, out, w)
			}
		}
		if strings.Contains(stdout.String()+stderr.String(), "This binary is a plugin") {
			t.Errorf("%v: go-plugin's generic text: %q", c.args, stdout.String()+stderr.String())
		}
	}
}
