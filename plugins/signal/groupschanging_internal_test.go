package signal

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
	"passerelle.im/passerelle/plugins/signal/rpc"
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

// The user's invitation of someone signal-cli can only invite, whose
// notice the host did not confirm: what the room was told of the
// group's invitations stays as it was on disk, so the next connection,
// from the journal, tells it. Before, it was written all the same, and
// the connection found nothing to tell.
func TestOwnInviteUnconfirmedToldAtNextConnection(t *testing.T) {
	const alice, aliceACI = "+15550000001", "a11ce000-0000-4000-8000-000000000001"
	const bob, bobACI = "+15550000002", "b0b00000-0000-4000-8000-000000000002"
	d, err := fakesignal.Start(filepath.Join(t.TempDir(), "signal.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	d.AddAccount(alice, aliceACI)
	gid := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: "Friends",
		Members: []fakesignal.Member{{Number: alice, UUID: aliceACI, Admin: true}, {Number: bob, UUID: bobACI}}})
	erin := fakesignal.NewUUID()
	d.NoProfileKey(erin)
	dir := t.TempDir()
	ctx := context.Background()
	start := func(h *recordingHost) *Session {
		s := newSession(&Network{host: h, cfg: Config{Socket: d.Path()}}, sdk.LoginInfo{LoginID: alice, Dir: dir}, Account{Number: alice, ACI: aliceACI})
		s.c, s.up = rpc.Dial(d.Path(), rpc.Options{}), true
		t.Cleanup(func() { s.c.Close() })
		return s
	}
	h := &recordingHost{}
	s := start(h)
	s.refreshGroups(ctx) // the group known, its invitations (none) told
	h.mu.Lock()
	h.failing = true
	h.mu.Unlock()
	chat := groupChatID(gid)
	if err := s.Invite(ctx, sdk.Call{ChatID: chat}, erin); err != nil {
		t.Fatalf("invite: %v", err)
	}

	// The next connection.
	again := &recordingHost{}
	start(again).refreshGroups(ctx)
	for _, ev := range again.events() {
		if ev.ChatId == chat && strings.Contains(ev.GetMessage().GetText(), "You invited") {
			return
		}
	}
	t.Fatalf("at the next connection: %v, want the invitation told", again.events())
}
