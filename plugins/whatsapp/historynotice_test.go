package whatsapp

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// A history sync comes as WhatsApp sends it, a notice naming its blob:
// the plugin downloads it (whatsmeow leaves that to it), stores what
// whatsmeow keeps of it (the push names a PUSH_NAME sync carries), shows
// its messages, and keeps no notice once done. Not connected, the
// download waits for the next connection.
func TestHistoryNoticeDownloaded(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	if _, err := fake.HistoryNotice(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_PUSH_NAME.Enum(),
		Pushnames: []*waHistorySync.Pushname{{ID: proto.String(carol.String()), Pushname: proto.String("Carol")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.HistoryNotice(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{
			historyMsg(alice, "N1", now.Add(-time.Hour), &waE2E.Message{Conversation: proto.String("from a notice")}),
		}}}}); err != nil {
		t.Fatal(err)
	}
	if b := r.host.waitHistory(t, 1); len(b) != 1 || len(b[0].Events) != 1 || b[0].Events[0].EventId != "N1" || b[0].ChatId != "+33611111111" {
		t.Fatalf("history from the notice: %v", b)
	}
	if c, err := s.d.dev.Contacts.GetContact(ctx, carol); err != nil || c.PushName != "Carol" {
		t.Errorf("push names of the sync: %+v, %v", c, err)
	}
	waitNoNotice(t, s)

	// Not connected: kept, and downloaded once connected again.
	fake.Disconnect()
	if _, err := fake.HistoryNotice(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(bob.String()), Messages: []*waHistorySync.HistorySyncMsg{
			historyMsg(bob, "N2", now.Add(-time.Hour), &waE2E.Message{Conversation: proto.String("while away")}),
		}}}}); err != nil {
		t.Fatal(err)
	}
	waitPulled(t, s) // it started as the notice was kept

	if n := len(s.hist.notices()); n != 1 {
		t.Fatalf("notices kept while not connected: %d, want 1", n)
	}
	if err := fake.Connect(); err != nil { // whatsmeow's reconnection
		t.Fatal(err)
	}
	if b := r.host.waitHistory(t, 2); b[1].Events[0].EventId != "N2" {
		t.Fatalf("after connecting again: %v", b[1])
	}
	waitNoNotice(t, s)
}

// A history sync whose download WhatsApp's media servers fail for now
// (503, whatsmeow's own tries spent) is kept and tried again at the next
// connection, and the user is told nothing: it is not lost. Before, it
// was dropped as a blob gone, and told as lost.
func TestHistoryNoticeServerError(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	from := r.host.count()
	fake.FailHistory(http.StatusServiceUnavailable)
	if _, err := fake.HistoryNotice(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(bob.String()), Messages: []*waHistorySync.HistorySyncMsg{
			historyMsg(bob, "N5", time.Now().Add(-time.Hour), &waE2E.Message{Conversation: proto.String("after an outage")}),
		}}}}); err != nil {
		t.Fatal(err)
	}
	waitPulled(t, s) // it started as the notice was kept
	if n := len(s.hist.notices()); n != 1 {
		t.Fatalf("notices kept after a 503: %d, want 1", n)
	}
	fake.FailHistory(0)
	fake.Disconnect()
	if err := fake.Connect(); err != nil { // whatsmeow's reconnection
		t.Fatal(err)
	}
	if b := r.host.waitHistory(t, 1); b[0].Events[0].EventId != "N5" {
		t.Fatalf("after connecting again: %v", b[0])
	}
	waitNoNotice(t, s)
	if lost := noticesByID(r.host.since(from), "history-lost-"); len(lost) != 0 {
		t.Errorf("told as lost: %v", lost)
	}
}

// waitPulled waits for the notices' downloader to have started and
// finished.
func waitPulled(t *testing.T, s *Session) {
	t.Helper()
	deadline := time.Now().Add(eventWait)
	for {
		s.hist.mu.Lock()
		pulling := s.hist.pulling
		s.hist.mu.Unlock()
		if !pulling {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the notices' downloads never end")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitNoNotice waits for the history folder to hold no notice.
func waitNoNotice(t *testing.T, s *Session) {
	t.Helper()
	deadline := time.Now().Add(eventWait)
	for len(s.hist.notices()) > 0 {
		if time.Now().After(deadline) {
			left, _ := filepath.Glob(filepath.Join(s.hist.dir, "*"))
			t.Fatalf("notices left once downloaded: %v", left)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
