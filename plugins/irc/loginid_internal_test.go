package irc

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// A damaged legacy-login-ids.json costs the legacy IDs it held, and is
// set aside whole rather than overwritten by the next login's write,
// nor read in part (a wrong-typed entry after a good one).
func TestLegacyLoginIDsDamagedSetAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, legacyFile)
	const bad = `{"` + "0123456789abcdef" + `":"sam@irc.example:6697","x":5}`
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	var l loaded
	l.open(dir, slog.New(slog.DiscardHandler))
	if len(l.legacy) != 0 {
		t.Errorf("legacy IDs read from a damaged file: %v", l.legacy)
	}
	l.set("alice@example.org", "sam@irc.example:6697")
	if b, err := os.ReadFile(path + ".damaged"); err != nil || string(b) != bad {
		t.Errorf("the damaged file set aside: %q %v, want it whole", b, err)
	}
	var again loaded
	again.open(dir, nil)
	if again.legacy[userPart("alice@example.org")] != "sam@irc.example:6697" {
		t.Errorf("the file written after a damaged one: %v", again.legacy)
	}
}
