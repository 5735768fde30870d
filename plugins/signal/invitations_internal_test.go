package signal

import (
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
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
	in.told("abc", at, false)
	again, first := loadInvitations(dir, slog.New(slog.DiscardHandler)).mark("abc", 0)
	if !first || again != at {
		t.Fatalf("an invitation whose telling did not reach the disk: told %v at %d, want at %d as before", first, again, at)
	}
}

// An ended invitation is kept a while only (endedKept), for the time of
// a new one: the file does not grow with every group the user was ever
// invited to. One still told stays.
func TestInvitationsEndedForgotten(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-2 * endedKept).UnixMilli()
	if err := os.WriteFile(filepath.Join(dir, invitationsFile),
		[]byte(`{"ended-long-ago":{"at":`+strconv.FormatInt(old, 10)+`,"ended":true},"told":{"at":`+strconv.FormatInt(old, 10)+`,"told":true}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	in := loadInvitations(dir, slog.New(slog.DiscardHandler))
	at, _ := in.mark("new", 0)
	in.told("new", at, true)
	in.forget("new")
	kept := loadInvitations(dir, slog.New(slog.DiscardHandler))
	if _, ok := kept.st["ended-long-ago"]; ok {
		t.Errorf("an invitation ended long ago is still kept: %v", kept.st)
	}
	if st := kept.st["told"]; !st.Told {
		t.Errorf("an invitation told and not ended is forgotten: %v", kept.st)
	}
	if st := kept.st["new"]; !st.Ended || st.At == 0 {
		t.Errorf("an invitation just ended is not kept with its time: %v", kept.st)
	}
}
