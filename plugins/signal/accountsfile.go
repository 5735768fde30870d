package signal

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
)

// signal-cli keeps its accounts' index in its data folder,
// data/accounts.json, each account's number and ACI ("uuid") among
// them, in every version; it rewrites it as it renames an account (a
// number change, found at its start too). Where the plugin may read
// that folder (its own daemon's, or data_dir), the index says an
// account's ACI, learnt for a login that has none, and its number
// now: a number changed while the plugin was stopped is then found
// with any signal-cli, not only with those (0.14.6 and later) that
// take an account's ACI for it.

// storedAccount is an entry of accounts.json.
type storedAccount struct {
	Number string `json:"number"`
	UUID   string `json:"uuid"`
}

// storedAccounts reads signal-cli's accounts.json; nil when the data
// folder is not known or the file cannot be read.
func (n *Network) storedAccounts() []storedAccount {
	dir := n.signalData()
	if dir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(dir, "data", "accounts.json"))
	if err != nil {
		return nil
	}
	var f struct {
		Accounts []storedAccount `json:"accounts"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		n.host.Logger().Warn("signal: signal-cli's accounts.json cannot be read", "dir", dir, "err", err)
		return nil
	}
	return f.Accounts
}

// storedACI is the ACI accounts.json gives the account of number ("" when
// not known).
func (n *Network) storedACI(number string) string {
	for _, a := range n.storedAccounts() {
		if number != "" && a.Number == number && isUUID(a.UUID) {
			return a.UUID
		}
	}
	return ""
}

// storedNumber is the number accounts.json gives the account of aci (""
// when not known).
func (n *Network) storedNumber(aci string) string {
	for _, a := range n.storedAccounts() {
		if aci != "" && strings.EqualFold(a.UUID, aci) {
			return a.Number
		}
	}
	return ""
}
