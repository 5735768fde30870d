package echo_test

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/plugins/sdk"
)

// The echo network takes no config: an empty table starts it, and any
// key is refused by name instead of ignored (it once was).
func TestConfigRefusesUnknownKeys(t *testing.T) {
	for _, ok := range []string{"", "{}", "null"} {
		if _, err := echo.New().Init(context.Background(), sdk.InitRequest{ConfigJSON: []byte(ok), DataDir: t.TempDir()}, nil); err != nil {
			t.Errorf("config %q: %v", ok, err)
		}
	}
	_, err := echo.New().Init(context.Background(), sdk.InitRequest{ConfigJSON: []byte(`{"contact_name": "Echo"}`), DataDir: t.TempDir()}, nil)
	if err == nil {
		t.Fatal("a config key the echo network does not have was accepted")
	}
	for _, want := range []string{"echo:", `unknown key "contact_name"`, "takes no config"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
