package telegram

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
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

// Values the transport cannot use are refused at the start, by name,
// rather than taken: a data centre to start with that server.dcs does
// not list (the client dialled nothing and each login waited for its
// connection in vain), and a negative history_limit (read as the
// default).
func TestConfigBadValues(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := json.Marshal(string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)})))
	server := func(dcs string) string {
		return fmt.Sprintf(`{"server": {%s, "public_keys": [%s]}}`, dcs, key)
	}
	if _, err := parseConfig([]byte(server(`"dc": 4, "dcs": {"4": "127.0.0.1:443"}`))); err != nil {
		t.Fatalf("a good server block: %v", err)
	}
	for _, c := range []struct{ in, says string }{
		{server(`"dc": 4, "dcs": {"2": "127.0.0.1:443"}`), "server.dc"},
		{server(`"dcs": {"1": "127.0.0.1:443"}`), "server.dc"},
		{`{"history_limit": -5}`, "history_limit"},
	} {
		_, err := parseConfig([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want an error about %s", c.in, err, c.says)
		}
	}
}
