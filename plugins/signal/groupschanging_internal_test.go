package signal

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
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
	if cut, kinds, _ := c.wasCut("old"); !cut || len(kinds) != 0 {
		t.Fatalf("the older plugin's change: cut %v, kinds %v; want cut, no kind", cut, kinds)
	}
	c.begin("timer", changeTimer)
	c.begin("timer") // the group's own change inside it (changeGroup)
	c.end("timer", true)
	// Killed now: the next start reads the file.
	if cut, kinds, _ := loadGroupsChanging(dir, log).wasCut("timer"); !cut || !slices.Equal(kinds, []changeKind{changeTimer}) {
		t.Fatalf("a timer's change under way: cut %v, kinds %v; want cut, the timer", cut, kinds)
	}
	c.end("timer", true)
	c.toldCut("old")
	if cut, kinds, _ := loadGroupsChanging(dir, log).wasCut("timer"); cut || len(kinds) != 0 {
		t.Fatalf("a timer's change told: cut %v, kinds %v; want neither", cut, kinds)
	}
	c.begin("invite", changeSettings)
	c.end("invite", false)
	if cut, kinds, _ := loadGroupsChanging(dir, log).wasCut("invite"); !cut || !slices.Equal(kinds, []changeKind{changeSettings}) {
		t.Fatalf("an invitation not told: cut %v, kinds %v; want cut, the settings", cut, kinds)
	}
}

// The user's invitation of someone signal-cli can only invite, whose
// notice the host did not confirm: what the room was told of the
// group's invitations stays as it was on disk, so the next connection,
// from the journal, tells it. Before, it was written all the same, and
// the connection found nothing to tell.
func TestOwnInviteUnconfirmedToldAtNextConnection(t *testing.T) {
	d, group := startFriends(t)
	gid := group.ID
	erin := fakesignal.NewUUID()
	d.NoProfileKey(erin)
	dir := t.TempDir()
	ctx := context.Background()
	start := func(h *recordingHost) *Session { return dialedSession(t, d, h, dir) }
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

// failingNthHost fails the confirmation of its nth durable event (from
// 1), once; the others it records.
type failingNthHost struct {
	*recordingHost
	mu    sync.Mutex
	n, at int
}

func (h *failingNthHost) EmitDurable(ctx context.Context, ev *pb.Event) error {
	h.mu.Lock()
	h.at++
	fail := h.at == h.n
	h.mu.Unlock()
	if fail {
		return errors.New("not confirmed")
	}
	return h.recordingHost.EmitDurable(ctx, ev)
}

// A change the user made just before a crash, a timer set and someone
// invited, whose telling at the next connection failed part way (the
// timer's notice confirmed, the invitation's not), is told again at the
// connection after: the timer's notice comes under the event ID it had,
// which the host drops, and the room shows it once. Before, it was
// named by the time of the connection that told it, and shown twice.
func TestCutChangeRetoldOnce(t *testing.T) {
	d, group := startFriends(t)
	gid := group.ID
	dir := t.TempDir()
	ctx := context.Background()
	start := func(h sdk.Host) *Session { return dialedSession(t, d, h, dir) }
	chat := groupChatID(gid)
	s := start(&recordingHost{})
	s.refreshGroups(ctx) // the group known: its timer off, none invited
	// The user's change, made by signal-cli; the process killed before
	// the room was told.
	s.changing.begin(chat, changeTimer, changeSettings)
	erin := fakesignal.NewUUID()
	group.Timer, group.Pending = 3600, []fakesignal.Member{{UUID: erin}}
	d.SetGroup(alice, group)

	// The next connection: the group's description and the timer's
	// notice confirmed, the invitation's not.
	partly := &failingNthHost{recordingHost: &recordingHost{}, n: 3}
	start(partly).refreshGroups(ctx)
	again := &recordingHost{}
	start(again).refreshGroups(ctx)

	// The room as the host keeps it: a notice once by its event ID.
	shown := map[string]map[string]bool{} // text -> event IDs
	for _, ev := range append(partly.events(), again.events()...) {
		if text := ev.GetMessage().GetText(); ev.ChatId == chat && text != "" {
			if shown[text] == nil {
				shown[text] = map[string]bool{}
			}
			shown[text][ev.EventId] = true
		}
	}
	timer, invited := 0, 0
	for text, ids := range shown {
		switch {
		case strings.Contains(text, "You invited"):
			invited += len(ids)
		case text == timerNotice(3600):
			timer += len(ids)
		}
	}
	if timer != 1 || invited != 1 {
		t.Fatalf("the room shows the timer's notice %d times, the invitation's %d (%v); want each once", timer, invited, shown)
	}
}

// The journal's list of groups changing stays what a plugin before the
// kinds were kept reads (a list of chat IDs): downgraded, it tells the
// room of a group changed just before a crash its name and members.
// Before, it held the kinds too, and such a plugin set it aside as
// damaged. What a change tells besides, and when it began, are read back
// from beside it.
func TestGroupsChangingReadableByOlder(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	c := loadGroupsChanging(dir, log)
	c.begin("timer", changeTimer)
	_, _, at := c.wasCut("timer")
	b, err := os.ReadFile(filepath.Join(dir, groupsChangingFile))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string // as an older plugin reads it
	if err := json.Unmarshal(b, &ids); err != nil || !slices.Equal(ids, []string{"timer"}) {
		t.Fatalf("the journal %s read as a list of chat IDs: %v, %v; want the group", b, ids, err)
	}
	// Killed now.
	if cut, kinds, again := loadGroupsChanging(dir, log).wasCut("timer"); !cut || !slices.Equal(kinds, []changeKind{changeTimer}) || again != at || at == 0 {
		t.Fatalf("read back: cut %v, kinds %v, begun at %d; want cut, the timer, begun at %d", cut, kinds, again, at)
	}
	// One an older plugin wrote keeps the time first given it.
	if err := os.WriteFile(filepath.Join(dir, groupsChangingFile), []byte(`["old"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, first := loadGroupsChanging(dir, log).wasCut("old")
	if _, _, again := loadGroupsChanging(dir, log).wasCut("old"); first == 0 || again != first {
		t.Fatalf("an older plugin's change begun at %d, then at %d; want the same time", first, again)
	}
}

// heldTimerHost holds the confirmation of the timer's notices (text),
// and confirms the others at once.
type heldTimerHost struct {
	*recordingHost
	text string
}

func (h *heldTimerHost) EmitDurable(ctx context.Context, ev *pb.Event) error {
	if ev.GetMessage().GetText() == h.text {
		return h.recordingHost.EmitDurable(ctx, ev)
	}
	h.Emit(ev)
	return nil
}

// The user's timer set in a group, its notice on its way to the host:
// the groups read meanwhile (a connection's) write what the room was
// told as it was before, so a process killed before the host confirmed
// the notice tells the timer at its next connection, under the ID the
// notice had. Without the window
// (the timer noted told at once, as a save meanwhile writes it), the
// next connection found the timer told, and the room never heard of it.
func TestOwnTimerWindowBeforeConfirmed(t *testing.T) {
	d, group := startFriends(t)
	gid := group.ID
	ctx := context.Background()
	start := func(h sdk.Host, dir string) *Session { return dialedSession(t, d, h, dir) }
	chat := groupChatID(gid)
	dir := t.TempDir()
	held := heldHost()
	s := start(&heldTimerHost{recordingHost: held, text: timerNotice(3600)}, dir)
	s.refreshGroups(ctx) // the group known, its timer off
	done := inBackground(func() {
		if err := s.SetChatTimer(ctx, sdk.Call{ChatID: chat}, time.Hour); err != nil {
			t.Errorf("set the timer: %v", err)
		}
	})
	waitEntered(t, held)
	s.refreshGroups(ctx) // writes what the rooms were told meanwhile
	killed := killedCopy(t, dir)
	close(held.hold)
	waitDone(t, held, done)

	again := &recordingHost{}
	start(again, killed).refreshGroups(ctx)
	// The host may have had the notice on its way (here it did, its
	// confirmation come after the kill): told again, it comes under the
	// ID it had, which the host drops. Before, it came under one named by
	// when the change began, and the room showed it twice.
	var live string
	for _, ev := range held.events() {
		if ev.ChatId == chat && ev.GetMessage().GetText() == timerNotice(3600) {
			live = ev.EventId
		}
	}
	for _, ev := range again.events() {
		if ev.ChatId == chat && ev.GetMessage().GetText() == timerNotice(3600) && ev.GetSender().GetIsFromMe() {
			if ev.EventId != live {
				t.Fatalf("the timer told again as %q, told live as %q; want the same ID", ev.EventId, live)
			}
			return
		}
	}
	t.Fatalf("the next connection told %v; want the timer, the user's", again.events())
}

// The user's own change the group's server refused (a 403) is
// journalled for the next connection only when the group as known
// allowed it, the refusal saying the group changed since: one the group
// known foresaw (no admin, where only admins edit its details) changed
// nothing, and the room is not told the group again. Before, any
// refusal was.
func TestOwnChangeRefusedJournalledWhenOutOfDate(t *testing.T) {
	d := startDaemon(t)
	gid := fakesignal.NewGroupID()
	group := fakesignal.Group{ID: gid, Name: "Friends", OnlyAdminsEdit: true,
		Members: []fakesignal.Member{{Number: alice, UUID: aliceACI}, {Number: bob, UUID: bobACI, Admin: true}}}
	d.SetGroup(alice, group)
	ctx := context.Background()
	s := dialedSession(t, d, &recordingHost{}, t.TempDir())
	chat := groupChatID(gid)
	refused := func() {
		t.Helper()
		err := s.SetChatTimer(ctx, sdk.Call{ChatID: chat}, time.Hour)
		if e := sdk.ToProto(err); e.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
			t.Fatalf("a timer set where only admins may: %v, want it refused", err)
		}
	}

	s.refreshGroups(ctx) // known: only admins edit, the user no admin
	refused()
	if cut, _, _ := s.changing.wasCut(chat); cut {
		t.Fatal("a refusal the group known foresaw is journalled for the next connection")
	}

	// Known while all members edited; only admins do since.
	group.OnlyAdminsEdit = false
	d.SetGroup(alice, group)
	s.refreshGroups(ctx)
	group.OnlyAdminsEdit = true
	d.SetGroup(alice, group)
	refused()
	if cut, _, _ := s.changing.wasCut(chat); !cut {
		t.Fatal("a refusal the group known did not foresee is not journalled: the room keeps the group's old permissions")
	}
}

// The user's invitation of someone signal-cli can only invite, whose
// notice the gateway had but whose confirmation was lost, is told at the
// next connection under the ID it had (the group update's), which the
// gateway drops: the room shows it once. Before, the next connection
// named it by when the change began, and the room showed it twice.
func TestOwnInviteNoticeRetoldUnderItsID(t *testing.T) {
	d, group := startFriends(t)
	gid := group.ID
	erin := fakesignal.NewUUID()
	d.NoProfileKey(erin)
	dir := t.TempDir()
	ctx := context.Background()
	chat := groupChatID(gid)
	h := &lostConfirmationHost{recordingHost: &recordingHost{}, lose: func(ev *pb.Event) bool {
		return strings.Contains(ev.GetMessage().GetText(), "You invited")
	}}
	s := dialedSession(t, d, h, dir)
	s.refreshGroups(ctx) // the group known, its invitations (none) told
	if err := s.Invite(ctx, sdk.Call{ChatID: chat}, erin); err != nil {
		t.Fatalf("invite: %v", err)
	}
	again := &recordingHost{}
	dialedSession(t, d, again, dir).refreshGroups(ctx)

	ids := map[string]bool{}
	for _, ev := range append(h.events(), again.events()...) {
		if ev.ChatId == chat && strings.Contains(ev.GetMessage().GetText(), "You invited") {
			ids[ev.EventId] = true
		}
	}
	if len(ids) != 1 {
		t.Fatalf("the invitation's notice under %v; want one ID, told live and again", ids)
	}
}

// An own invitation's change cut short (its notice's confirmation
// lost), told again at the next connection with more invited (one
// invited on the phone meanwhile), says so under another ID: named by
// whom it says invited. Before, both were invited-<update>-<me>, and the
// host dropped the second as the first it had: the one invited since
// was never told.
func TestOwnInviteNoticeRetoldWithMoreInvited(t *testing.T) {
	d, group := startFriends(t)
	gid := group.ID
	erin, frank := fakesignal.NewUUID(), fakesignal.NewUUID()
	d.NoProfileKey(erin)
	dir := t.TempDir()
	ctx := context.Background()
	chat := groupChatID(gid)
	h := &lostConfirmationHost{recordingHost: &recordingHost{}, lose: func(ev *pb.Event) bool {
		return strings.Contains(ev.GetMessage().GetText(), "You invited")
	}}
	s := dialedSession(t, d, h, dir)
	s.refreshGroups(ctx) // the group known, its invitations (none) told
	if err := s.Invite(ctx, sdk.Call{ChatID: chat}, erin); err != nil {
		t.Fatalf("invite: %v", err)
	}
	g, ok := d.GetGroup(alice, gid)
	if !ok {
		t.Fatal("the group is gone")
	}
	g.Pending = append(g.Pending, fakesignal.Member{UUID: frank})
	d.SetGroup(alice, g)
	again := &recordingHost{}
	dialedSession(t, d, again, dir).refreshGroups(ctx)

	texts := map[string]string{} // by ID
	toldFrank := false
	for _, ev := range append(h.events(), again.events()...) {
		text := ev.GetMessage().GetText()
		if ev.ChatId != chat || !strings.Contains(text, "You invited") {
			continue
		}
		if was, ok := texts[ev.EventId]; ok && was != text {
			t.Errorf("%q and %q under one ID, %s: the host drops the second", was, text, ev.EventId)
		}
		texts[ev.EventId] = text
		toldFrank = toldFrank || strings.Contains(text, frank)
	}
	if !toldFrank {
		t.Fatalf("frank's invitation never told: %v", texts)
	}
}

// Bob's withdrawal of an invitation whose notice's confirmation was
// lost is told again when its envelope is handled again at the next
// start; by then he withdrew another (its update not come yet), and the
// notice says two under another ID: named by whose invitations it says
// ended. Before, both were revoked-<update>-<bob>, and the host dropped
// the second as the first it had: the room counted one.
func TestRevokedNoticeRetoldWithMoreRevoked(t *testing.T) {
	dave, erin := fakesignal.NewUUID(), fakesignal.NewUUID()
	without := func(uuid string) func(g *fakesignal.Group) {
		return func(g *fakesignal.Group) {
			g.Pending = slices.DeleteFunc(g.Pending, func(m fakesignal.Member) bool { return m.UUID == uuid })
		}
	}
	texts := retoldTexts(t, "revoked", false, func(g *fakesignal.Group) {
		g.Pending = []fakesignal.Member{{UUID: dave}, {UUID: erin}}
	}, without(dave), without(erin))
	if len(texts) != 2 {
		t.Fatalf("the withdrawals told as %v; want one, then two", texts)
	}
}

// Bob's turning off the group's link, its notice's confirmation lost,
// is told again when its envelope is handled again at the next start;
// by then the link is on again, another (its update not come yet), and
// the notice says it was reset under another ID: named by what it
// says. Before, both were settings-link-<update>-<bob>, and the host
// dropped the second: the room said the link was off.
func TestLinkNoticeRetoldChanged(t *testing.T) {
	texts := retoldTexts(t, "group link", false, func(g *fakesignal.Group) { g.Link = "https://signal.group/#one" },
		func(g *fakesignal.Group) { g.Link = "" }, func(g *fakesignal.Group) { g.Link = "https://signal.group/#two" })
	if len(texts) != 2 {
		t.Fatalf("the link's notices told as %v; want it turned off, then reset", texts)
	}
}

// A group's timer read past an update that never came, its notice's
// confirmation lost, is told again when its envelope is handled again
// at the next start; by then the timer changed again (its update not
// come yet), and the notice says the new one under another ID: named by
// what it says, as an own change's cut short is (tellCut). Before, both
// were timer-<update>-, and the host dropped the second: the room
// showed the old timer.
func TestGapTimerNoticeRetoldChanged(t *testing.T) {
	texts := retoldTexts(t, "isappearing", true, func(*fakesignal.Group) {},
		func(g *fakesignal.Group) { g.Timer = 60 }, func(g *fakesignal.Group) { g.Timer = 300 })
	if len(texts) != 2 {
		t.Fatalf("the timer's notices told as %v; want a minute, then five", texts)
	}
}

// A timer bob's update does not carry (0), read from the group, is
// named by its value too, and still as his: handled again at the next
// start (its notice's confirmation lost) after the timer changed again,
// the new timer is another notice. Before, both were named by the
// update's message ID, the gateway dropped the second, and the room
// showed the old timer.
func TestAuthoredTimerNoticeRetoldChanged(t *testing.T) {
	texts := retoldTexts(t, "isappearing", false, func(*fakesignal.Group) {},
		func(g *fakesignal.Group) { g.Timer = 60 }, func(g *fakesignal.Group) { g.Timer = 300 })
	if len(texts) != 2 {
		t.Fatalf("the timer's notices told as %v; want a minute, then five", texts)
	}
	for id := range texts {
		if !strings.HasSuffix(id, "-"+bob) {
			t.Errorf("notice %s is not named by its author %s", id, bob)
		}
	}
}

// retoldTexts are the notices saying about (by ID) of an update of
// bob's, change, to alice's group as known (before), whose notice's
// confirmation is lost: its envelope handled again by a session started
// on the login's folder after since, a later update not come yet. With
// gap, an update before it never came. It fails the test for two texts
// under one ID: the host drops the second.
func retoldTexts(t *testing.T, about string, gap bool, before, change, since func(g *fakesignal.Group)) map[string]string {
	t.Helper()
	d, group := startFriends(t)
	gid := group.ID
	before(&group)
	d.SetGroup(alice, group)
	dir := t.TempDir()
	ctx := context.Background()
	chat := groupChatID(gid)
	is := func(ev *pb.Event) bool {
		return ev.ChatId == chat && strings.Contains(ev.GetMessage().GetText(), about)
	}
	h := &lostConfirmationHost{recordingHost: &recordingHost{}, lose: is}
	s := dialedSession(t, d, h, dir)
	s.refreshGroups(ctx) // the group known, as it is told
	apply := func(f func(g *fakesignal.Group)) int {
		t.Helper()
		g, ok := d.GetGroup(alice, gid)
		if !ok {
			t.Fatal("the group is gone")
		}
		f(&g)
		g.Revision++
		d.SetGroup(alice, g)
		return g.Revision
	}
	if gap {
		// An update handled (its revision noted), one after it lost.
		rev := apply(func(*fakesignal.Group) {})
		s.groupUpdated(ctx, chat, &pb.Sender{UserId: bob}, d.Now(),
			&dataMessage{Timestamp: d.Now(), GroupInfo: &groupInfo{GroupID: gid, Revision: rev, Type: "UPDATE"}})
		apply(func(*fakesignal.Group) {})
	}
	rev := apply(change)
	at := d.Now()
	update := &dataMessage{Timestamp: at, GroupInfo: &groupInfo{GroupID: gid, Revision: rev, Type: "UPDATE"}}
	s.groupUpdated(ctx, chat, &pb.Sender{UserId: bob}, at, update)
	apply(since)
	again := &recordingHost{}
	dialedSession(t, d, again, dir).groupUpdated(ctx, chat, &pb.Sender{UserId: bob}, at, update)

	texts := map[string]string{}
	for _, ev := range append(h.events(), again.events()...) {
		if !is(ev) {
			continue
		}
		text := ev.GetMessage().GetText()
		if was, ok := texts[ev.EventId]; ok && was != text {
			t.Errorf("%q and %q under one ID, %s: the host drops the second", was, text, ev.EventId)
		}
		texts[ev.EventId] = text
	}
	return texts
}
