package signal

import (
	"encoding/json"
	"path/filepath"

	"passerelle.im/passerelle/plugins/sdk"
)

// The accounts this plugin linked, kept in its data folder: a Logout of a
// login that is not connected comes without its saved state, and must
// still tell an account passerelle linked (unlinked on logout) from one
// the admin put in signal-cli (left alone).

func (n *Network) linkedPath() string { return filepath.Join(n.dataDir, "linked-accounts.json") }

// linked reports whether the plugin linked the account.
func (n *Network) linked(id string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.readLinked()[id]
}

// setLinked records that the plugin linked the account, or forgets it.
func (n *Network) setLinked(id string, on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	m := n.readLinked()
	if on {
		m[id] = true
	} else {
		delete(m, id)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	// Durably: forgotten in a crash just after linking, the account
	// would be taken for the admin's, and left in signal-cli at logout.
	if err := sdk.WriteFileDurably(n.linkedPath(), b); err != nil {
		n.host.Logger().Warn("signal: the linked accounts cannot be recorded", "err", err)
	}
}

// readLinked reads the record; called with mu held.
func (n *Network) readLinked() map[string]bool {
	m, ok := sdk.LoadStateFile[map[string]bool](n.linkedPath(),
		"an account linked before is taken for one the admin put in signal-cli: a logout leaves it linked", n.host.Logger())
	if !ok {
		m = map[string]bool{}
	}
	return m
}
