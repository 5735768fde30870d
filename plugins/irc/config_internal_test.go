package irc

import (
	"encoding/json"
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
		"ca_file, ctcp_off, ctcp_version, fixed_server, identify_wait, keepalive, list_wait, reconnect_max, reconnect_min, typing_repeat, typing_timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := parseConfig([]byte(`{"reconnect_min":"1s","typing_repeat":"2s"}`)); err != nil {
		t.Errorf("a config of known keys: %v", err)
	}
}

// A ctcp_version that is not one line for a NOTICE stops the start,
// naming it.
func TestConfigCTCPVersion(t *testing.T) {
	for _, bad := range []string{"two\nlines", "a\x01b", strings.Repeat("x", 301)} {
		q, _ := json.Marshal(bad)
		if _, err := parseConfig([]byte(`{"ctcp_version":` + string(q) + `}`)); err == nil || !strings.Contains(err.Error(), "ctcp_version") {
			t.Errorf("ctcp_version %q: %v, want refused", bad, err)
		}
	}
	if cfg, err := parseConfig([]byte(`{"ctcp_version":" My Gateway 2 "}`)); err != nil || cfg.CTCPVersion != "My Gateway 2" {
		t.Errorf("ctcp_version: %+v, %v", cfg.CTCPVersion, err)
	}
}
