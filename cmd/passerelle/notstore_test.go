package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunStoreNotAStore: store.path naming a file that is no passerelle
// store (another program's file, or one whose first pages are gone)
// stops the start with the configuration's exit status (78), which the
// systemd unit does not restart on, and says what the file is not and
// what to do. It said only "open store: ... invalid database" and
// exited 1, restarted every 5 s for ever.
func TestRunStoreNotAStore(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "other.db")
	if err := os.WriteFile(junk, []byte(strings.Repeat("not a bbolt file\n", 2000)), 0o600); err != nil {
		t.Fatal(err)
	}
	server := "[xmpp]\nserver = \"" + closedAddr(t) + "\"\n"
	path := setup(t, server+"[store]\npath = \""+junk+"\"\n"+valid)
	code, _, errs := call("run", "-c", path)
	if code != exitConfig || !strings.Contains(errs, "not a passerelle store") || !strings.Contains(errs, "check-store") ||
		!strings.Contains(errs, "store.path") {
		t.Errorf("a store.path that is no store: exit %d, stderr %q; want %d, what it is not and what to do", code, errs, exitConfig)
	}
	if b, err := os.ReadFile(junk); err != nil || !strings.HasPrefix(string(b), "not a bbolt file") {
		t.Errorf("the file was changed: %v", err)
	}
}
