package telegram

import (
	"strings"
	"testing"
)

// A misspelt key, in the table or in its server block, is refused by
// name, with the keys there are, instead of being ignored (api_hsh once
// started the transport without the application's hash).
func TestConfigUnknownKey(t *testing.T) {
	for _, c := range []struct {
		in   string
		says []string
	}{
		{`{"api_id": 17, "api_hsh": "0123"}`, []string{"telegram:", `unknown key "api_hsh"`, `did you mean "api_hash"`,
			"api_hash, api_id, bot_api_url, device_model, history_limit, server"}},
		{`{"server": {"dcs": {"1": "127.0.0.1:1"}, "publickeys": []}}`, []string{`unknown key "server.publickeys"`, "dc, dcs, public_keys"}},
	} {
		_, err := parseConfig([]byte(c.in))
		if err == nil {
			t.Errorf("%s taken", c.in)
			continue
		}
		for _, want := range c.says {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not say %q", c.in, err, want)
			}
		}
	}
	c, err := parseConfig([]byte(`{"api_id": 17, "api_hash": "0123", "history_limit": 5}`))
	if err != nil || c.APIHash != "0123" || c.HistoryLimit != 5 {
		t.Errorf("a config of known keys: %+v, %v", c, err)
	}
}
