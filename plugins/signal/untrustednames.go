package signal

import (
	"log/slog"
	"path/filepath"
	"sync"

	"passerelle.im/passerelle/plugins/sdk"
)

// A contact's changed safety number is told by the first of their
// messages signal-cli could not read, or of the sends to them it
// refused (safety.go), named by their new key when signal-cli lists it:
// it does once a send met the key (it saves a changed key as it sends),
// or once the fetch of their profile it makes after a message it could
// not read came back (receiving, it keeps the key it had until then), so
// a message's notice is named by the message's time when asked before.
// Told again after the host had it but its
// confirmation was lost (a restart, the next send refused), the notice
// must come under the ID it had, which the host drops: the name it was
// first told under is kept, from before it goes to the host until it is
// confirmed, or the change is over (a message of theirs read).

// untrustedNamesFile keeps, by contact, the name of the notice of their
// changed safety number on its way.
const untrustedNamesFile = "untrusted-names.json"

// untrustedNames are untrustedNamesFile's names, safe for concurrent use.
type untrustedNames struct {
	mu   sync.Mutex
	path string // "": in memory only
	m    map[string]string
	log  *slog.Logger
}

// loadUntrustedNames reads the names kept in dir ("" in memory only).
func loadUntrustedNames(dir string, log *slog.Logger) *untrustedNames {
	if log == nil {
		log = slog.Default()
	}
	n := &untrustedNames{m: map[string]string{}, log: log}
	if dir == "" {
		return n
	}
	n.path = filepath.Join(dir, untrustedNamesFile)
	if m, ok := sdk.LoadStateFile[map[string]string](n.path, "a changed safety number's notice told again may show twice", log); ok && m != nil {
		n.m = m
	}
	return n
}

// name is the name of contact's notice: the one kept, else name, kept
// on disk before it returns.
func (n *untrustedNames) name(contact, name string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if kept := n.m[contact]; kept != "" {
		return kept
	}
	n.m[contact] = name
	n.saveLocked()
	return name
}

// forget drops contact's name: their notice confirmed, or the change
// over.
func (n *untrustedNames) forget(contact string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.m[contact]; ok {
		delete(n.m, contact)
		n.saveLocked()
	}
}

// saveLocked writes the names; n.mu is held.
func (n *untrustedNames) saveLocked() {
	if n.path == "" {
		return
	}
	if err := sdk.SaveStateFile(n.path, n.m); err != nil {
		n.log.Warn("signal: the names of the safety numbers' notices could not be kept; one told again after a restart may show twice", "file", n.path, "err", err)
	}
}
