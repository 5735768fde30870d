package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestEmptyConfigSaid: an empty configuration file (or one of comments
// only) is said to be so, not reported as "nobody may use the gateway"
// and "no enabled transport" as though its settings were wrong.
func TestEmptyConfigSaid(t *testing.T) {
	isolate(t)
	path := filepath.Join(t.TempDir(), "passerelle.toml")
	for data, want := range map[string]string{
		"":                      "the file is empty",
		"\n  \n":                "the file is empty",
		"# [access]\n# x = 1\n": "has no settings, only comments",
	} {
		_, err := Parse(path, []byte(data))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "examples/passerelle.toml") ||
			strings.Contains(err.Error(), "nobody may use") || strings.Contains(err.Error(), "no enabled transport") {
			t.Errorf("Parse(%q): %v, want %q", data, err, want)
		}
	}
}
