package irc

import (
	"strings"
	"testing"
)

// A misspelt key is refused by name, with the keys there are, instead of
// being ignored while the default applies (it once was).
func TestConfigUnknownKey(t *testing.T) {
	_, err := parseConfig([]byte(`{"reconnect_min":"1s","reconect_max":"2s"}`))
	if err == nil {
		t.Fatal("config with reconect_max taken")
	}
	for _, want := range []string{"irc:", `unknown key "reconect_max"`, `did you mean "reconnect_max"`,
		"ca_file, fixed_server, identify_wait, keepalive, list_wait, reconnect_max, reconnect_min, typing_repeat, typing_timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := parseConfig([]byte(`{"reconnect_min":"1s","typing_repeat":"2s"}`)); err != nil {
		t.Errorf("a config of known keys: %v", err)
	}
}
