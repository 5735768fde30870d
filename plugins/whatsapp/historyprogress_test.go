package whatsapp

import (
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// syncBlobOf is a history blob of one chat with one message at at.
func syncBlobOf(typ waHistorySync.HistorySync_HistorySyncType, progress uint32, chat types.JID, id string, at time.Time) *events.HistorySync {
	return &events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: typ.Enum(), Progress: proto.Uint32(progress),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(chat.String()),
			Messages: []*waHistorySync.HistorySyncMsg{webMsg(chat, id, false, at, "old")}}}}}
}

func isProgressEnd(ev *pb.Event) bool {
	p := ev.GetProgress()
	return p != nil && p.Total > 0 && p.Done >= p.Total
}

// A phone that never says its sync complete (no FULL blob at 100%): the
// sync ends after the quiet period, and the end says so. Before, each
// blob ended a run of its own at once.
func TestHistorySyncQuietEnd(t *testing.T) {
	r := newRig(t, `{"history_days": 7}`)
	r.n.histQuiet = 300 * time.Millisecond
	_, fake := r.connected(t)
	fake.Emit(syncBlobOf(waHistorySync.HistorySync_RECENT, 100, types.NewJID("33611111111", types.DefaultUserServer), "Q1", time.Now().Add(-time.Hour)))
	ev, i := r.host.next(t, 0, func(ev *pb.Event) bool { return ev.GetProgress() != nil })
	if p := ev.GetProgress(); p.Total != 0 || p.Done != 1 || p.Text != "history: 1 chat so far; WhatsApp is still sending (recent history 100%)" {
		t.Errorf("the running count: %v", p)
	}
	ev, _ = r.host.next(t, i+1, isProgressEnd)
	if p := ev.GetProgress(); p.Done != 1 || p.Text != "history: 1 chat; WhatsApp sent nothing more for 300ms" {
		t.Errorf("the end: %v", p)
	}
}

// WhatsApp's last blob (FULL at 100%) holds nothing to show (all older
// than the configured age): the sync ends all the same, at once, with
// the chats of the blobs before.
func TestHistorySyncCompleteEmptyBlob(t *testing.T) {
	r := newRig(t, `{"history_days": 7}`)
	_, fake := r.connected(t)
	alice := types.NewJID("33611111111", types.DefaultUserServer)
	fake.Emit(syncBlobOf(waHistorySync.HistorySync_RECENT, 100, alice, "E1", time.Now().Add(-time.Hour)))
	_, i := r.host.next(t, 0, func(ev *pb.Event) bool { return ev.GetProgress() != nil })
	fake.Emit(syncBlobOf(waHistorySync.HistorySync_FULL, 100, alice, "E0", time.Now().AddDate(0, 0, -30)))
	ev, _ := r.host.next(t, i+1, isProgressEnd)
	if p := ev.GetProgress(); p.Done != 1 || p.Text != "history: 1 chat" {
		t.Errorf("the end: %v", p)
	}
}
