package config

import (
	"errors"
	"strings"
	"testing"
)

// TestErrorsNameTheLine: a problem found after parsing names the line
// that sets its key, or for a missing key the line that opens its
// table, whatever the TOML form (dotted keys, quoted keys, a
// [transport.config] after several blocks, a multi-line string that
// looks like keys).
func TestErrorsNameTheLine(t *testing.T) {
	isolate(t)
	data := `# passerelle
xmpp.ping_interval = "soon"

[access]
allow = [
  "localhost",
  "a@b@c",
]

[log]
"level" = "loud"

[[transport]]
name = "echo"
domain = "echo.localhost"
secret = "s"

[transport.config]
motd = """
name = "not a key"
"""

[[transport]]
name = "two"
domain = "two.localhost"
secret = "s"
plugin = "passerelle-nope"
colour = "blue"

[[transport]]
domain = "three.localhost"
secret = "s"
`
	_, err := parse(t, data)
	if err == nil {
		t.Fatal("no error")
	}
	want := map[string]int{
		"xmpp.ping_interval":  2,
		"access.allow[1]":     5,
		"log.level":           11,
		"transport[1].plugin": 27,
		"transport[1].colour": 28,
		"transport[2].name":   30, // missing: its block's header
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	got := map[string]int{}
	for _, e := range errs {
		var ce *Error
		if errors.As(e, &ce) {
			got[ce.Key] = ce.Line
		}
	}
	for key, line := range want {
		if got[key] != line {
			t.Errorf("%s: line %d, want %d\n%v", key, got[key], line, err)
		}
	}
	if !strings.Contains(err.Error(), "passerelle.toml:27: transport[1].plugin: ") {
		t.Errorf("the line is not in the message:\n%v", err)
	}
}

func TestLineOf(t *testing.T) {
	lines := keyLines("[[transport]]\nname = 'a'\n[transport.config]\nx.y = 1\n[[transport]]\n'na.me' = 2\n")
	for key, want := range map[string]int{
		"transport":               1,
		"transport[0]":            1,
		"transport[0].name":       2,
		"transport[0].config":     3,
		"transport[0].config.x.y": 4,
		"transport[0].config.z":   3,
		"transport[1].na.me":      6,
		"transport[1].domain":     5,
		"store.path":              0,
	} {
		if got := lineOf(lines, key); got != want {
			t.Errorf("lineOf(%q) = %d, want %d", key, got, want)
		}
	}
}
