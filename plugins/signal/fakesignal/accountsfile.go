package fakesignal

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// signal-cli keeps its accounts' index in its data folder,
// data/accounts.json (AccountsStorage: each account's path, environment,
// number and ACI as "uuid"), rewritten as accounts are added, renamed
// (a number change) or removed.

// SetDataDir has the daemon keep accounts.json in dir's data folder, as
// signal-cli run with --config dir does, from now on.
func (d *Daemon) SetDataDir(dir string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dataDir = dir
	return d.writeAccountsLocked()
}

// NumbersOnly makes the daemon a signal-cli before 0.14.6: a request
// names an account by its number only (a numberless one by its ACI), and
// listAccounts gives numbers only.
func (d *Daemon) NumbersOnly() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.numbersOnly = true
}

// writeAccountsLocked writes accounts.json when SetDataDir was called;
// d.mu is held.
func (d *Daemon) writeAccountsLocked() error {
	if d.dataDir == "" {
		return nil
	}
	type entry struct {
		Path        string `json:"path"`
		Environment string `json:"environment"`
		Number      string `json:"number"`
		UUID        string `json:"uuid"`
	}
	var out []entry
	seen := map[*Account]bool{}
	for _, a := range d.accounts {
		if !seen[a] {
			seen[a] = true
			out = append(out, entry{Path: a.UUID, Environment: "LIVE", Number: a.Number, UUID: a.UUID})
		}
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.UUID, b.UUID) })
	b, err := json.Marshal(map[string]any{"accounts": out, "version": 2})
	if err != nil {
		return err
	}
	dir := filepath.Join(d.dataDir, "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "accounts.json"), b, 0o600)
}
