package whatsapp

import (
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

// A history chunk delivered twice in a sync (its notice delivered again,
// or downloaded again after a restart), and a chat in two chunks (a
// phone's RECENT and FULL stages both hold the recent chats): the sync's
// end counts each chat once, and each message not read once. Before,
// each batch stored counted a chat ("history: 5 chats" for 3), and the
// chunk's message not read was counted twice.
func TestHistoryChunkTwiceCountedOnce(t *testing.T) {
	r := newRig(t, `{"history_days": 7}`)
	_, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	alice, carol := types.NewJID("33611111111", types.DefaultUserServer), types.NewJID("33633333333", types.DefaultUserServer)
	from := r.host.count()
	chunk := func() *events.HistorySync {
		return &events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(), Progress: proto.Uint32(50),
			Conversations: []*waHistorySync.Conversation{
				{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{webMsg(alice, "A1", false, now.Add(-time.Hour), "hi")}},
				{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
					{Message: readableIn("R1", now.Add(-2*time.Hour))}, {Message: unreadableIn("U1", now.Add(-3*time.Hour))}}},
			}}}
	}
	fake.Emit(chunk())
	fake.Emit(chunk()) // delivered again
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_FULL.Enum(), Progress: proto.Uint32(100),
		Conversations: []*waHistorySync.Conversation{
			{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{webMsg(alice, "A0", false, now.Add(-4*time.Hour), "older")}},
			{ID: proto.String(carol.String()), Messages: []*waHistorySync.HistorySyncMsg{webMsg(carol, "C1", false, now.Add(-5*time.Hour), "yo")}},
		}}})
	ev, _ := r.host.next(t, from, isProgressEnd)
	if p := ev.GetProgress(); p.Text != "history: 3 chats" || p.Done != 3 {
		t.Errorf("the sync's end: %q (%d); want history: 3 chats", p.Text, p.Done)
	}
	told := noticesByID(r.host.since(from), "history-unreadable-")
	if len(told) != 1 {
		t.Fatalf("notices: %q; want one", told)
	}
	for _, text := range told {
		if !strings.HasPrefix(text, "A message of") {
			t.Errorf("notice %q: want the one message", text)
		}
	}
}

// A history chunk delivered again once its sync ended and was told (its
// notice delivered again, or downloaded again after a crash): its
// message not read is not told again. Before, the second run counted it
// anew, told under another ID: shown twice.
func TestHistoryChunkAgainAfterToldNotRetold(t *testing.T) {
	r := newRig(t, `{"history_days": 7}`)
	_, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	chunk := func() *events.HistorySync {
		return &events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(), Progress: proto.Uint32(50),
			Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
				{Message: readableIn("R1", now.Add(-time.Hour))}, {Message: unreadableIn("U1", now.Add(-2*time.Hour))}}}}}}
	}
	last := func(id string) *events.HistorySync {
		return &events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_FULL.Enum(), Progress: proto.Uint32(100),
			Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
				{Message: readableIn("R"+id, now.Add(-3*time.Hour))}, {Message: unreadableIn("U"+id, now.Add(-4*time.Hour))}}}}}}
	}
	from := r.host.count()
	fake.Emit(chunk())
	fake.Emit(last("2"))
	_, end := r.host.next(t, from, isProgressEnd)
	if told := noticesByID(r.host.since(from), "history-unreadable-"); len(told) != 1 {
		t.Fatalf("the sync's notices: %q; want one", told)
	}
	fake.Emit(chunk()) // again, once told
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_FULL.Enum(), Progress: proto.Uint32(100),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(carol.String()), Messages: []*waHistorySync.HistorySyncMsg{
			webMsg(carol, "C1", false, now.Add(-5*time.Hour), "yo")}}}}})
	r.host.next(t, end+1, isProgressEnd)
	if told := noticesByID(r.host.since(end+1), "history-unreadable-"); len(told) != 0 {
		t.Errorf("notices after the chunk came again: %q; want none (U1 told already)", told)
	}
}
