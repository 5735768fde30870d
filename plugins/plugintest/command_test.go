package plugintest

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestCommand runs the conformance checks against any plugin the
// environment names, so that the author of a plugin in another language
// can run them without writing Go (docs/plugins.md):
//
//	PLUGINTEST_COMMAND="/usr/bin/python3 /path/to/plugin.py" \
//	PLUGINTEST_LOGIN='{"username": "alice"}' PLUGINTEST_CONTACT=echo \
//	go test passerelle.im/passerelle/plugins/plugintest -run 'TestCommand$' -v
//
// PLUGINTEST_GROUP and PLUGINTEST_CONFIG (JSON) are optional. The network
// must answer each message sent to the contact with the same text, as an
// echo does; one that does not needs a Go test with Config.Incoming.
// Without PLUGINTEST_COMMAND the test is skipped.
func TestCommand(t *testing.T) {
	argv := strings.Fields(os.Getenv("PLUGINTEST_COMMAND"))
	if len(argv) == 0 {
		t.Skip("set PLUGINTEST_COMMAND (and PLUGINTEST_LOGIN, PLUGINTEST_CONTACT) to check a plugin")
	}
	var fields map[string]string
	if err := json.Unmarshal([]byte(os.Getenv("PLUGINTEST_LOGIN")), &fields); err != nil {
		t.Fatalf(`PLUGINTEST_LOGIN must be the login form's input as a JSON object ({"username": "alice"}): %v`, err)
	}
	var config []byte
	if c := os.Getenv("PLUGINTEST_CONFIG"); c != "" {
		if !json.Valid([]byte(c)) {
			t.Fatalf("PLUGINTEST_CONFIG is not JSON: %s", c)
		}
		config = []byte(c)
	}
	Run(t, Config{Binary: argv[0], Args: argv[1:], ConfigJSON: config, LoginFields: fields,
		Contact: os.Getenv("PLUGINTEST_CONTACT"), Group: os.Getenv("PLUGINTEST_GROUP")})
}
