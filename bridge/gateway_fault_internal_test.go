package bridge

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/bridge/wire"
)

// TestGatewayFaultIsInternal: a login the gateway cannot begin for a
// fault of its own (here its logins folder cannot be made) is answered
// internal-server-error, not service-unavailable, which says the service
// is away; a plugin that is away is still service-unavailable.
func TestGatewayFaultIsInternal(t *testing.T) {
	tr := newTestTransport(t)
	tr.procs = map[string]*loginProc{}
	tr.dataDir = t.TempDir()
	// A file where the logins folder goes: no login folder can be made.
	if err := os.WriteFile(filepath.Join(tr.dataDir, loginsFolder), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := tr.startLogin(context.Background(), "alice@localhost", "", "adhoc")
	if err == nil {
		t.Fatal("a login began without its folder")
	}
	if cond, text := reply(err); cond != wire.InternalServerError || text == "" {
		t.Errorf("the gateway's own failure: %s %q, want internal-server-error", cond, text)
	}
	if cond, _ := reply(pluginhost.ErrUnavailable); cond != wire.ServiceUnavailable {
		t.Errorf("a plugin away: %s, want service-unavailable", cond)
	}
}
