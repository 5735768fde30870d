package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A history sync notice damaged on disk is told before it is dropped: the
// gateway did not take the notice (it went away; the plugin was killed
// before it confirmed), the plugin stops, and the next start tells it.
// Before, the damaged file was set aside first and told after: the
// notice was lost with it.
func TestLostNoticeKeptUntilTold(t *testing.T) {
	ev, dir := toldAfterCrash(t, func(dir string) {
		hist := filepath.Join(dir, historyDirName)
		if err := os.MkdirAll(hist, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(hist, "0001-TORN"+noticeSuffix), []byte{0x0a, 0x05, 'a'}, 0o600); err != nil {
			t.Fatal(err)
		}
	})
	if ev.EventId != "history-lost-TORN" || !strings.Contains(ev.GetNotice().Text, "damaged on disk") {
		t.Errorf("after the restart: %s %q; want history-lost-TORN, its notice damaged on disk", ev.EventId, ev.GetNotice().Text)
	}
	if _, err := os.Stat(filepath.Join(dir, historyDirName, "0001-TORN"+noticeSuffix+sdk.DamagedSuffix)); err != nil {
		t.Errorf("the damaged notice not set aside: %v", err)
	}
}

// The kept count of a sync's messages not read, damaged: the user is
// told that some were not read, how many not known, even when the
// gateway did not take that notice before the plugin stopped. Before,
// the file was set aside and the messages never told.
func TestUnreadCountDamagedTold(t *testing.T) {
	const torn = `{"n": 2, "hash": "AAAA`
	ev, dir := toldAfterCrash(t, func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, unreadSyncFile), []byte(torn), 0o600); err != nil {
			t.Fatal(err)
		}
	})
	if ev.GetNotice().Text != unreadDamagedText {
		t.Errorf("notice %q: want %q", ev.GetNotice().Text, unreadDamagedText)
	}
	if got, err := os.ReadFile(filepath.Join(dir, unreadSyncFile+sdk.DamagedSuffix)); err != nil || string(got) != torn {
		t.Errorf("set aside: %q, %v", got, err)
	}
}

// The note of history lost, damaged: the user is told that parts were
// lost, which not known, and a copy of it is kept for a look. Before
// (a file that did not exist), each part was told at once.
func TestLostNotesDamagedTold(t *testing.T) {
	const torn = `{"3EB0": {"why": "gone"`
	ev, dir := toldAfterCrash(t, func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, lostFile), []byte(torn), 0o600); err != nil {
			t.Fatal(err)
		}
	})
	if ev.GetNotice().Text != lostDamagedText {
		t.Errorf("notice %q: want %q", ev.GetNotice().Text, lostDamagedText)
	}
	if got, err := os.ReadFile(filepath.Join(dir, lostFile+sdk.DamagedSuffix)); err != nil || string(got) != torn {
		t.Errorf("set aside: %q, %v", got, err)
	}
}

// toldAfterCrash logs in, has prepare damage the login's folder, and
// starts the plugin on it with a gateway that takes no notice of history
// lost; once the plugin tried to tell, it stops, and starts anew with a
// gateway that takes it. It returns that notice, once the plugin let go
// of what it told (history-lost.json gone), and the folder.
func toldAfterCrash(t *testing.T, prepare func(dir string)) (*pb.Event, string) {
	t.Helper()
	dir := t.TempDir()
	done := newRig(t, "").loginQR(t, dir)
	prepare(dir)
	r := newRig(t, "") // the plugin anew on that folder
	tried := make(chan struct{})
	var once sync.Once
	r.host.mu.Lock()
	r.host.durable = func(ev *pb.Event) error {
		if strings.HasPrefix(ev.EventId, "history-lost-") {
			once.Do(func() { close(tried) })
			return errors.New("the gateway went away")
		}
		return nil
	}
	r.host.mu.Unlock()
	info := sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir}
	s, err := r.n.LoadLogin(context.Background(), info)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-tried:
	case <-time.After(eventWait):
		t.Fatal("history lost not told")
	}
	s.Disconnect(context.Background()) // the plugin stops, the notice not taken

	r = newRig(t, "") // and anew once more
	r.load(t, info)
	ev := waitNotice(t, r, 0, "history-lost-")
	for deadline := time.Now().Add(eventWait); ; time.Sleep(10 * time.Millisecond) {
		_, err := os.Stat(filepath.Join(dir, lostFile))
		if os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lost parts kept once told: %v", err)
		}
	}
	return ev, dir
}

// The blobs of one history sync that cannot be had are told in one
// notice at the sync's end, saying how many. Before, each made a notice
// of its own (a sync after pairing is dozens of blobs).
func TestLostHistoryToldOncePerSync(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	blob := func(typ waHistorySync.HistorySync_HistorySyncType, progress uint32, id string) {
		fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: typ.Enum(), Progress: proto.Uint32(progress),
			Conversations: []*waHistorySync.Conversation{{ID: proto.String(bob.String()),
				Messages: []*waHistorySync.HistorySyncMsg{webMsg(bob, id, false, now.Add(-time.Hour), "kept "+id)}}}}})
	}
	from := r.host.count()
	blob(waHistorySync.HistorySync_RECENT, 10, "H1") // the sync begins
	r.host.waitHistory(t, 1)
	for range 3 {
		if _, err := fake.HistoryNoticeGone(context.Background(), waHistorySync.HistorySync_RECENT); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(eventWait); ; time.Sleep(10 * time.Millisecond) {
		if len(s.hist.notices()) == 0 { // each noted lost (or told) before its notice is dropped
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the 3 notices not tried: %v", s.hist.notices())
		}
	}
	b, err := os.ReadFile(filepath.Join(s.hist.dir, "..", lostFile))
	var kept map[string]lostPart
	if err != nil || json.Unmarshal(b, &kept) != nil || len(kept) != 3 {
		t.Errorf("the lost blobs kept on disk: %q, %v; want 3", b, err)
	}
	blob(waHistorySync.HistorySync_FULL, 100, "H2") // the sync ends
	syncEnded(t, r, from)
	told := noticesByID(r.host.since(from), "history-lost-")
	if len(told) != 1 {
		t.Fatalf("notices of the lost blobs: %v; want one for the sync", told)
	}
	for _, text := range told {
		if !strings.HasPrefix(text, "3 parts of your WhatsApp history could not be downloaded") {
			t.Errorf("notice %q: want it to say 3 parts", text)
		}
	}
}

// The count of a sync's messages not read is kept until the gateway
// took its notice: the sync ends, the notice is not taken (the gateway
// went away), the plugin stops; the next start tells it. Before, the
// count was dropped at the sync's end whether told or not.
func TestUnreadNoticeKeptUntilConfirmed(t *testing.T) {
	dir := t.TempDir()
	done := newRig(t, "").loginQR(t, dir)
	r := newRig(t, "")
	tried := make(chan struct{})
	var once sync.Once
	r.host.mu.Lock()
	r.host.durable = func(ev *pb.Event) error {
		if strings.HasPrefix(ev.EventId, "history-unreadable-") {
			once.Do(func() { close(tried) })
			return errors.New("the gateway went away")
		}
		return nil
	}
	r.host.mu.Unlock()
	info := sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir}
	s, fake := r.load(t, info)
	now := time.Now().Truncate(time.Second)
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_FULL.Enum(), Progress: proto.Uint32(100),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
			{Message: unreadableIn("U1", now.Add(-time.Hour))}, {Message: unreadableIn("U2", now.Add(-2*time.Hour))},
			{Message: readableIn("R1", now.Add(-3*time.Hour))},
		}}}}})
	select {
	case <-tried:
	case <-time.After(eventWait):
		t.Fatal("the messages not read were not told")
	}
	syncEnded(t, r, 0)                 // the sync's end, after its notice
	s.Disconnect(context.Background()) // the plugin stops, the notice not taken

	r = newRig(t, "")
	r.load(t, info)
	if ev := waitNotice(t, r, 0, "history-unreadable-"); !strings.HasPrefix(ev.GetNotice().Text, "2 messages of your WhatsApp history could not be read") {
		t.Errorf("after the restart: %q; want the 2 messages told", ev.GetNotice().Text)
	}
}

// syncEnded waits, after from, for the history sync's end: its progress
// done of its total.
func syncEnded(t *testing.T, r *rig, from int) {
	t.Helper()
	r.host.next(t, from, func(ev *pb.Event) bool {
		p := ev.GetProgress()
		return p.GetTask() == "history" && p.GetTotal() > 0 && p.GetDone() == p.GetTotal()
	})
}

// A damaged note of history lost whose copy cannot be set aside (here
// the copy's temporary name is a folder) is not replaced: a note that
// would overwrite it fails (and is told at once by its caller); once a
// copy can be made, the next note makes it first, then writes. Before,
// the next note overwrote the damaged file with no copy kept.
func TestLostNotesDamagedNotReplacedWithoutCopy(t *testing.T) {
	const torn = `{"3EB0": {"why": "gone"`
	dir := t.TempDir()
	path := filepath.Join(dir, lostFile)
	if err := os.WriteFile(path, []byte(torn), 0o600); err != nil {
		t.Fatal(err)
	}
	block := path + sdk.DamagedSuffix + ".tmp"
	if err := os.Mkdir(block, 0o700); err != nil {
		t.Fatal(err)
	}
	l := newLostParts(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	said := 0
	for _, p := range l.pending() {
		if p.Said == lostDamagedText {
			said++
		}
	}
	if said != 1 {
		t.Errorf("noted: %v; want the damaged note", l.pending())
	}
	if err := l.note("K1", lostPart{Why: "gone"}); err == nil {
		t.Error("a note written over the damaged file, no copy of it kept")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != torn {
		t.Fatalf("the damaged file: %q, %v; want it as it was", b, err)
	}

	if err := os.Remove(block); err != nil {
		t.Fatal(err)
	}
	if err := l.note("K2", lostPart{Why: "gone"}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path + sdk.DamagedSuffix); err != nil || string(b) != torn {
		t.Errorf("the copy: %q, %v; want the damaged content", b, err)
	}
	var kept map[string]lostPart
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &kept) != nil || kept["K2"].Why != "gone" || len(kept) != 2 {
		t.Errorf("the notes: %q, %v; want K2 and the damaged note", b, err)
	}
}
