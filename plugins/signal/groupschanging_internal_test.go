package signal

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The journal keeps what an own change tells besides the group's name
// and members, for a process killed meanwhile; a file an older plugin
// wrote (the chat IDs alone) is read as changes of no kind.
func TestGroupsChangingKinds(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, groupsChangingFile), []byte(`["old"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := loadGroupsChanging(dir, log)
	if cut, kinds := c.wasCut("old"); !cut || len(kinds) != 0 {
		t.Fatalf("the older plugin's change: cut %v, kinds %v; want cut, no kind", cut, kinds)
	}
	c.begin("timer", changeTimer)
	c.begin("timer") // the group's own change inside it (changeGroup)
	c.end("timer", true)
	// Killed now: the next start reads the file.
	if cut, kinds := loadGroupsChanging(dir, log).wasCut("timer"); !cut || !slices.Equal(kinds, []changeKind{changeTimer}) {
		t.Fatalf("a timer's change under way: cut %v, kinds %v; want cut, the timer", cut, kinds)
	}
	c.end("timer", true)
	c.toldCut("old")
	if cut, kinds := loadGroupsChanging(dir, log).wasCut("timer"); cut || len(kinds) != 0 {
		t.Fatalf("a timer's change told: cut %v, kinds %v; want neither", cut, kinds)
	}
	c.begin("invite", changeSettings)
	c.end("invite", false)
	if cut, kinds := loadGroupsChanging(dir, log).wasCut("invite"); !cut || !slices.Equal(kinds, []changeKind{changeSettings}) {
		t.Fatalf("an invitation not told: cut %v, kinds %v; want cut, the settings", cut, kinds)
	}
}
