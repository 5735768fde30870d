package signal

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// What the rooms were told of their groups' timers and settings is read
// back after a restart only once saved, a first sight takes nothing
// known, what an update's handling tells is written once it is done, and
// put back when it did not finish; a damaged file is set aside with a
// warning, and what is kept stays bounded.
func TestGroupsToldKept(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	tt := loadGroupsTold(dir, log)
	first := &group{perms: groupPerms{send: "EVERY_MEMBER", edit: "EVERY_MEMBER", add: "EVERY_MEMBER"}, pending: map[string]bool{"+1": true}}
	tt.firstSight("g", 60, first)
	if loadGroupsTold(dir, log).timerKnown("g") {
		t.Fatal("read back before it was saved")
	}
	tt.save()
	tt = loadGroupsTold(dir, log)
	if !tt.timerKnown("g") {
		t.Fatal("the timer of a group first seen not read back")
	}
	changed := &group{perms: groupPerms{send: "EVERY_MEMBER", edit: "ONLY_ADMINS", add: "EVERY_MEMBER"}, link: "https://signal.group/#x", pending: map[string]bool{}}
	tt.firstSight("g", 3600, changed) // known: taken as it was
	tt.begin("g")                     // an update's handling
	if tt.timerNow("g", 60, false) {
		t.Error("the timer told as it was told: a change")
	}
	if !tt.timerNow("g", 3600, false) {
		t.Error("the timer changed since it was told: no change")
	}
	old := tt.settingsSince("g", changed)
	if old == nil || old.perms != first.perms || old.link != "" || !old.pending["+1"] || len(old.pending) != 1 {
		t.Fatalf("the settings told before: %+v", old)
	}
	if again := tt.settingsSince("g", changed); again == nil || again.perms != changed.perms || again.link != changed.link {
		t.Errorf("the settings just told: %+v", again)
	}
	tt.save() // another's, meanwhile: what was told before the update
	if back := loadGroupsTold(dir, log); !back.timerNow("g", 3600, false) || back.settingsSince("g", changed).perms != first.perms {
		t.Error("what an update's handling is telling written before it is done")
	}
	tt.end("g", false) // not finished: handled again at the next start
	tt.save()
	tt = loadGroupsTold(dir, log)
	tt.begin("g")
	if !tt.timerNow("g", 3600, false) {
		t.Error("the timer's change put back is not told again")
	}
	if old := tt.settingsSince("g", changed); old == nil || old.perms != first.perms {
		t.Errorf("the settings put back: %+v", old)
	}
	tt.end("g", true)
	tt.save()
	if back := loadGroupsTold(dir, log); back.timerNow("g", 3600, false) || back.settingsSince("g", changed).perms != changed.perms {
		t.Error("what a finished update told not written")
	}
	if tt.settingsSince("new", changed) != nil {
		t.Error("settings told of a group never seen")
	}
	tt.forget("new")
	for i := range maxGroupsTold {
		secs := i
		tt.m[fmt.Sprintf("h%d", i)] = groupTold{Timer: &secs}
	}
	tt.firstSight("new", 0, first)
	tt.save()
	if n := len(loadGroupsTold(dir, log).m); n > maxGroupsTold {
		t.Errorf("%d groups kept, over %d", n, maxGroupsTold)
	}

	path := filepath.Join(dir, groupsToldFile)
	if err := os.WriteFile(path, []byte(`{"g":`), 0o600); err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	tt = loadGroupsTold(dir, slog.New(slog.NewTextHandler(&logged, nil)))
	if len(tt.m) != 0 || !strings.Contains(logged.String(), "may go untold") {
		t.Errorf("a damaged file: %d groups, log %q", len(tt.m), logged.String())
	}
	if _, err := os.Stat(path + ".damaged"); err != nil {
		t.Errorf("the damaged file not set aside: %v", err)
	}
}
