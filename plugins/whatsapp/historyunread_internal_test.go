package whatsapp

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/sdk"
)

// The kept count of a sync's messages not read, damaged (not JSON, or a
// hash's state that does not read): set aside as it was and logged, the
// plugin going on; the next sync's count is kept anew. Before, no count
// was kept.
func TestUnreadCountDamagedSetAside(t *testing.T) {
	for name, torn := range map[string]string{"not JSON": `{"n": 2, "hash": "AAAA`, "bad hash": `{"n": 2, "hash": "AAAA"}`} {
		t.Run(name, func(t *testing.T) { unreadCountDamaged(t, []byte(torn)) })
	}
}

func unreadCountDamaged(t *testing.T, torn []byte) {
	r := newRig(t, "")
	var log syncBuffer
	r.n.log = slog.New(slog.NewTextHandler(&log, nil))
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	path := filepath.Join(dir, unreadSyncFile)
	if err := os.WriteFile(path, torn, 0o600); err != nil {
		t.Fatal(err)
	}
	_, fake := r.load(t, sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir})
	if got, err := os.ReadFile(path + ".damaged"); err != nil || string(got) != string(torn) {
		t.Errorf("set aside: %q, %v; want %q", got, err, torn)
	}
	if !strings.Contains(log.String(), "file="+path+" ") {
		t.Errorf("the damaged file not logged:\n%s", log.String())
	}

	now := time.Now().Truncate(time.Second)
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(), Progress: proto.Uint32(10),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
			{Message: unreadableIn("U1", now.Add(-time.Hour))}, {Message: readableIn("R1", now.Add(-2*time.Hour))},
		}}}}})
	r.host.waitHistory(t, 1) // the blob read: its count kept before its batch
	b, err := os.ReadFile(path)
	var st savedTally
	if err != nil || json.Unmarshal(b, &st) != nil || st.N != 1 {
		t.Fatalf("the sync's count kept anew: %q, %v; want 1", b, err)
	}
	if _, err := st.tally(); err != nil {
		t.Errorf("the kept count does not read back: %v", err)
	}
}

// A count kept by an earlier build (its count and hash's state, no IDs)
// reads back as the notice that build would have told, under the same
// ID; frozen and kept by this build, it reads back as a notice not
// confirmed, with its count.
func TestUnreadCountOfEarlierBuildRead(t *testing.T) {
	var old unreadTally
	old.add([]types.MessageID{"U1", "U2"})
	st, err := old.saved()
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{"n": st.N, "hash": st.Hash}) // the earlier build's fields only
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), unreadSyncFile)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	lost := newLostParts("", nil)
	got, untold, told := loadUnread(path, nil, lost)
	if got.n != 2 || got.noticeID() != old.noticeID() || len(untold)+len(told) != 0 || len(lost.pending()) != 0 {
		t.Fatalf("read back: %d messages, notice %s, %v, %v, lost %v; want 2, %s", got.n, got.noticeID(), untold, told, lost.pending(), old.noticeID())
	}
	r := &syncRun{unread: got, unreadPath: path}
	r.mu.Lock()
	r.freezeUnreadLocked(slog.Default())
	r.mu.Unlock()
	got, untold, _ = loadUnread(path, nil, lost)
	if got.n != 0 || len(untold) != 1 || untold[0].ID != old.noticeID() || untold[0].N != 2 || len(lost.pending()) != 0 {
		t.Errorf("kept again: %d messages, %v, lost %v; want the notice %s of 2 not confirmed", got.n, untold, lost.pending(), old.noticeID())
	}
}
