package bridge

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestIncomingCap: downloads are refused while the incoming folder (files
// held plus downloads under way) would pass its cap; a reservation ended
// frees its room; files left there for long are removed.
func TestIncomingCap(t *testing.T) {
	tr := newTestTransport(t)
	tr.incomingMax = 1000
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "held"), make([]byte, 300), 0o600); err != nil {
		t.Fatal(err)
	}
	release, err := tr.reserveIncoming(dir, 500)
	if err != nil {
		t.Fatalf("300 held + 500: %v", err)
	}
	if _, err := tr.reserveIncoming(dir, 500); !errors.Is(err, errIncomingFull) {
		t.Fatalf("300 held + 500 + 500 over a cap of 1000: %v, want errIncomingFull", err)
	}
	release()
	release() // ends once
	r2, err := tr.reserveIncoming(dir, 500)
	if err != nil {
		t.Fatalf("after a release: %v", err)
	}
	r2()
	old := time.Now().Add(-2 * incomingStale)
	if err := os.Chtimes(filepath.Join(dir, "held"), old, old); err != nil {
		t.Fatal(err)
	}
	r3, err := tr.reserveIncoming(dir, 1000)
	if err != nil {
		t.Fatalf("with the stale file gone: %v", err)
	}
	r3()
	if _, err := os.Stat(filepath.Join(dir, "held")); !os.IsNotExist(err) {
		t.Errorf("stale file kept: %v", err)
	}
}
