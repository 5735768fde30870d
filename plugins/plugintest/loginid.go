package plugintest

import (
	"errors"
	"testing"

	"passerelle.im/passerelle/plugins/limits"
)

// checkLoginID fails t when a completed login's ID is one the gateway
// cannot keep (limits.CheckID): the gateway refuses such a login and
// asks the plugin to log it out, so the user never has it. The Go SDK
// refuses it already; a plugin without the SDK learns it here.
func checkLoginID(t testing.TB, id string) {
	t.Helper()
	err := limits.CheckID(id)
	switch {
	case err == nil:
	case errors.Is(err, limits.ErrTooLong):
		t.Fatalf("the completed login's login_id is %d bytes, over the contract's %d: the gateway cannot keep it (limits.CheckID)", len(id), limits.IDBytes)
	default:
		t.Fatalf("the completed login's login_id %q %v: the gateway cannot keep it (limits.CheckID)", id, err)
	}
}
