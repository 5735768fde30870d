package signal

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A state file holding JSON null (damaged, or written by hand) is
// logged as unreadable and the state starts empty, as for other damage;
// before, the read marks and members' names took it for an empty map
// that is nil, and the next mark or name written panicked.
func TestStateFileNull(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{readMarksFile, memberNamesFile, ringingFile, requestsToldFile} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("null\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var log bytes.Buffer
	marks := loadReadMarks(dir, testLog(&log))
	marks.mark("chat", 42)
	if marks.upTo("chat") != 42 {
		t.Fatal("the mark is not kept")
	}
	var names memberNames
	names.load(dir, testLog(&log))
	if names.m == nil {
		t.Fatal("the members' names read from null are a nil map")
	}
	loadRinging(dir, testLog(&log))
	loadRequestsTold(dir, testLog(&log))
	if n := strings.Count(log.String(), "level=WARN"); n != 4 {
		t.Fatalf("%d warnings, want one per file: %s", n, log.String())
	}
}

// Each of the plugin's state files damaged before a start is set aside
// as <name>.damaged, its bytes kept, logged once with its path, while
// the state written anew at the next change goes to the file's own
// name. Before, the damaged file was logged (identities.json and
// invitations-told.json not even that) and overwritten at the next
// change: nothing was left to look at or mend.
func TestStateFileDamagedSetAside(t *testing.T) {
	dir := t.TempDir()
	damaged := map[string]string{}
	for i, f := range []string{readMarksFile, memberNamesFile, ringingFile, requestsToldFile, "identities.json", invitationsFile, msgIDsFile, untrustedFile, groupsChangingFile} {
		damaged[f] = `{"torn` + strings.Repeat("x", i)
		if err := os.WriteFile(filepath.Join(dir, f), []byte(damaged[f]), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var log bytes.Buffer
	marks := loadReadMarks(dir, testLog(&log))
	marks.mark("chat", 42)
	var names memberNames
	names.load(dir, testLog(&log))
	names.mu.Lock()
	names.setLocked("+33611111111", memberName{})
	names.mu.Unlock()
	names.save(testLog(&log))
	calls := loadRinging(dir, testLog(&log))
	calls.mu.Lock()
	calls.calls["1"] = ringingCall{Chat: "+33611111111"}
	calls.save()
	calls.mu.Unlock()
	told := loadRequestsTold(dir, testLog(&log))
	told.Update("group", map[string]bool{"+33611111111": true})
	ids := loadIdentities(dir, testLog(&log))
	ids.userID("+33611111111", "a0000000-0000-4000-8000-000000000001", "")
	loadInvitations(dir, testLog(&log)).mark("group", 0)
	loadUntrusted(dir, testLog(&log)).Update("+33611111111", map[string]bool{untrustedTold: true})
	loadGroupsChanging(dir, testLog(&log)).begin("group")
	if loadAuthorSince(dir, testLog(&log)) == 0 {
		t.Error("message IDs with authors from the start, the form set aside")
	}

	for f, was := range damaged {
		path := filepath.Join(dir, f)
		if got, err := os.ReadFile(path + ".damaged"); err != nil || string(got) != was {
			t.Errorf("%s set aside: %q, %v; want %q", f, got, err, was)
		}
		if b, err := os.ReadFile(path); err != nil || !json.Valid(b) {
			t.Errorf("%s not written anew: %q, %v", f, b, err)
		}
		if n := strings.Count(log.String(), "file="+path+" "); n != 1 {
			t.Errorf("%s named in %d log lines, want 1:\n%s", f, n, log.String())
		}
	}
}
