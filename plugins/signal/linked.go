package signal

import (
	"encoding/json"
	"os"
	"path/filepath"
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
	tmp := n.linkedPath() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		n.host.Logger().Warn("signal: the linked accounts cannot be recorded", "err", err)
		return
	}
	if err := os.Rename(tmp, n.linkedPath()); err != nil {
		n.host.Logger().Warn("signal: the linked accounts cannot be recorded", "err", err)
	}
}

// readLinked reads the record; called with mu held.
func (n *Network) readLinked() map[string]bool {
	m := map[string]bool{}
	if b, err := os.ReadFile(n.linkedPath()); err == nil {
		json.Unmarshal(b, &m)
	}
	return m
}
