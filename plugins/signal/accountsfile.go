package signal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

// maxAccountsFile bounds what is read of accounts.json: a few hundred
// bytes an account; a file far bigger is not signal-cli's index, and
// is not held whole in memory at each look-up.
const maxAccountsFile = 16 << 20

// storedAccount is an entry of accounts.json.
type storedAccount struct {
	Number string `json:"number"`
	UUID   string `json:"uuid"`
}

// storedAccounts reads signal-cli's accounts.json; nil when the data
// folder is not known or the file cannot be read or is over
// maxAccountsFile (logged, but for a file missing: a signal-cli with no
// account yet).
func (n *Network) storedAccounts() []storedAccount {
	dir := n.signalData()
	if dir == "" {
		return nil
	}
	path := filepath.Join(dir, "data", "accounts.json")
	b, err := readAtMost(path, maxAccountsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if errors.Is(err, errTooBig) {
		n.host.Logger().Warn("signal: signal-cli's accounts.json is refused: it is larger than an accounts index can be", "file", path, "max_bytes", maxAccountsFile)
		return nil
	}
	if err != nil {
		n.host.Logger().Warn("signal: signal-cli's accounts.json cannot be read", "file", path, "err", err)
		return nil
	}
	var f struct {
		Accounts []storedAccount `json:"accounts"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		n.host.Logger().Warn("signal: signal-cli's accounts.json cannot be read", "file", path, "err", err)
		return nil
	}
	return f.Accounts
}

// errTooBig is readAtMost's answer for a file over its bound.
var errTooBig = errors.New("file too big")

// readAtMost reads the file at path, or fails with errTooBig when it
// holds more than limit bytes, having read no more than limit+1 of them.
func readAtMost(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w (over %d bytes)", path, errTooBig, limit)
	}
	return b, nil
}

// storedACI is the ACI accounts.json gives the account of number ("" when
// not known, or when entries disagree).
func (n *Network) storedACI(number string) string {
	if number == "" {
		return ""
	}
	return n.storedOne("number", number, func(a storedAccount) (string, bool) {
		return a.UUID, a.Number == number && isUUID(a.UUID)
	})
}

// storedNumber is the number accounts.json gives the account of aci (""
// when not known, not a number in E.164, or when entries disagree).
func (n *Network) storedNumber(aci string) string {
	if aci == "" {
		return ""
	}
	return n.storedOne("aci", aci, func(a storedAccount) (string, bool) {
		return a.Number, strings.EqualFold(a.UUID, aci) && a.Number != "" && normalizeNumber(a.Number) == a.Number
	})
}

// storedOne is the value match gives the entries of accounts.json it
// matches, "" when none or when they give different ones: a file that
// names one account twice, differently, is not relied on.
func (n *Network) storedOne(by, key string, match func(storedAccount) (string, bool)) string {
	found := ""
	for _, a := range n.storedAccounts() {
		v, ok := match(a)
		switch {
		case !ok:
		case found == "":
			found = v
		case found != v:
			n.host.Logger().Warn("signal: signal-cli's accounts.json names an account twice, differently; not relied on", by, key)
			return ""
		}
	}
	return found
}
