package sdk

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

type testDuration time.Duration

func (d *testDuration) UnmarshalJSON(b []byte) error {
	v, err := time.ParseDuration(strings.Trim(string(b), `"`))
	*d = testDuration(v)
	return err
}

type testServer struct {
	DC  int               `json:"dc"`
	DCs map[string]string `json:"dcs"`
}

type testCommon struct {
	Verbose bool `json:"verbose"`
}

type testConfig struct {
	testCommon
	APIID   int                   `json:"api_id"`
	APIHash string                `json:"api_hash,omitempty"`
	Wait    testDuration          `json:"wait"`
	Server  *testServer           `json:"server"`
	Peers   []testServer          `json:"peers"`
	Servers map[string]testServer `json:"servers"`
	Port    uint16                `json:"port"`
	Skipped string                `json:"-"`
	NoTag   string                // its Go name is its key
	hidden  int                   //nolint:unused // unexported: no key
}

func TestDecodeConfig(t *testing.T) {
	cfg := testConfig{APIID: 7}
	for _, empty := range []string{"", "  ", "null", "{}"} {
		if err := DecodeConfig([]byte(empty), &cfg); err != nil || cfg.APIID != 7 {
			t.Fatalf("%q: %v, api_id %d: want no error and the default kept", empty, err, cfg.APIID)
		}
	}
	good := `{"api_id": 1, "API_HASH": "h", "wait": "2s", "verbose": true, "NoTag": "x",
		"server": {"dc": 2, "dcs": {"1": "a:1", "anything": "b:2"}}, "peers": [{"dc": 1}]}`
	if err := DecodeConfig([]byte(good), &cfg); err != nil {
		t.Fatalf("a config of known keys: %v", err)
	}
	if cfg.APIID != 1 || cfg.APIHash != "h" || time.Duration(cfg.Wait) != 2*time.Second || !cfg.Verbose ||
		cfg.NoTag != "x" || cfg.Server.DCs["anything"] != "b:2" || cfg.Peers[0].DC != 1 {
		t.Fatalf("decoded %+v", cfg)
	}
	for _, c := range []struct{ in, want string }{
		{`{"api_id": 1, "api_hsh": "h"}`, `unknown key "api_hsh" (did you mean "api_hash"?); the known keys are NoTag, api_hash, api_id, peers, port, server, servers, verbose, wait`},
		{`{"colour": "red"}`, `unknown key "colour"; the known keys are`},
		{`{"server": {"dc": 1, "dcss": {}}}`, `the transport's config (server): unknown key "server.dcss" (did you mean "server.dcs"?); the known keys are dc, dcs`},
		{`{"peers": [{"dc": 1}, {"dx": 2}]}`, `unknown key "peers[1].dx"`},
		{`{"Skipped": "x"}`, `unknown key "Skipped"`},
		{`{"hidden": 1}`, `unknown key "hidden"`},
		{`{"servers": {"eu": {"dc": 1}, "us": {"dx": 2}}}`, `the transport's config (servers.us): unknown key "servers.us.dx" (did you mean "servers.us.dc"?); the known keys are dc, dcs`},
		// A value of the wrong type, in the admin's words, not Go's.
		{`{"api_id": "one"}`, `the transport's config: api_id: want a whole number, got a string`},
		{`{"api_hash": 5}`, `the transport's config: api_hash: want a string, got a number`},
		{`{"verbose": "yes"}`, `the transport's config: verbose: want a boolean, got a string`},
		{`{"server": {"dc": 1.5}}`, `the transport's config: server.dc: want a whole number, got 1.5`},
		{`{"port": 70000}`, `the transport's config: port: want a whole number from 0 to 65535, got 70000`},
		{`{"peers": {"dc": 1}}`, `the transport's config: peers: want an array, got a table`},
		{`{"server": "s"}`, `the transport's config: server: want a table, got a string`},
		{`[1]`, `the transport's config: want a table, got an array`},
	} {
		err := DecodeConfig([]byte(c.in), &testConfig{})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Count(err.Error(), "the transport's config") != 1 {
			t.Errorf("%s: error %v, want one with %q", c.in, err, c.want)
		}
	}
	var te *json.UnmarshalTypeError
	if err := DecodeConfig([]byte(`{"api_hash": 5}`), &testConfig{}); !errors.As(err, &te) || te.Field != "api_hash" {
		t.Errorf("a wrong type's error does not wrap json's: %v", err)
	}
	if err := DecodeConfig([]byte(`{"a": 1}`), &struct{}{}); err == nil || !strings.Contains(err.Error(), "this transport takes no config") {
		t.Errorf("a key for a transport without config: %v", err)
	}
	if err := DecodeConfig([]byte(`{}`), testConfig{}); err == nil {
		t.Error("a struct, not a pointer, was accepted")
	}
}
