package signal

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// A file an older plugin wrote (the chat IDs of the invitations told)
// is read as told invitations: none is told again after the upgrade.
func TestInvitationsOldFileRead(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, invitationsFile), []byte(`["abc"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	in := loadInvitations(dir, slog.New(slog.DiscardHandler))
	if _, first := in.mark("abc", 0); first {
		t.Fatal("an invitation the older plugin told is told again")
	}
	in.forget("abc")
	at, first := in.mark("abc", 0)
	if !first || at == 0 {
		t.Fatalf("a new invitation after the old one ended: told %v at %d", first, at)
	}
	// Kept across a restart under the same time when not yet told.
	in.untold("abc")
	again, first := loadInvitations(dir, slog.New(slog.DiscardHandler)).mark("abc", 0)
	if !first || again != at {
		t.Fatalf("an invitation whose telling did not reach the disk: told %v at %d, want at %d as before", first, again, at)
	}
}
