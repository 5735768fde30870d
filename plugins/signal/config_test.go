package signal

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/sdk"
)

// TestConfigUnknownKey: a key of [transport.config] the plugin does not
// know (a typo) is refused at Init, naming it and the one meant. It was
// ignored: the setting silently kept its default.
func TestConfigUnknownKey(t *testing.T) {
	_, err := New().Init(context.Background(), sdk.InitRequest{ConfigJSON: []byte(`{"sokcet": "/run/signal.sock"}`), DataDir: t.TempDir()}, nil)
	if err == nil || !strings.Contains(err.Error(), `unknown key "sokcet"`) || !strings.Contains(err.Error(), `"socket"`) {
		t.Fatalf("a mistyped key: %v", err)
	}
}
