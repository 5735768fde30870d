package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/config"
)

// TestStdinTerminalNoted: -c /dev/stdin with standard input on a
// terminal says, before waiting, that it reads the configuration from
// there until Ctrl-D; nothing is said for a redirect or a file.
func TestStdinTerminalNoted(t *testing.T) {
	old := stdinIsTerminal
	t.Cleanup(func() { stdinIsTerminal = old })
	load := func(string) (*config.Config, error) { return nil, errors.New("stop here") }
	for _, c := range []struct {
		path string
		term bool
		want bool
	}{
		{"/dev/stdin", true, true},
		{"/dev/fd/0", true, true},
		{"/dev/stdin", false, false},
		{"passerelle.toml", true, false},
	} {
		stdinIsTerminal = func() bool { return c.term }
		var errs bytes.Buffer
		loadConfig("run", c.path, &errs, load)
		if got := strings.Contains(errs.String(), "reading the configuration from standard input") && strings.Contains(errs.String(), "Ctrl-D"); got != c.want {
			t.Errorf("-c %s, terminal %v: said %v, want %v:\n%s", c.path, c.term, got, c.want, errs.String())
		}
	}
}
