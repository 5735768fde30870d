package whatsapp

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/sdk"
)

// A pushed conversation the phone says complete, nothing more on it, is
// the chat's start: its batch is done, and a Backfill of the chat asks
// the phone nothing. Before, the batch was not done and each Backfill
// asked the phone, which had nothing older.
func TestPushedHistoryCompleteIsDone(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(alice.String()),
			EndOfHistoryTransfer:     proto.Bool(true),
			EndOfHistoryTransferType: waHistorySync.Conversation_COMPLETE_AND_NO_MORE_MESSAGE_REMAIN_ON_PRIMARY.Enum(),
			Messages:                 []*waHistorySync.HistorySyncMsg{webMsg(alice, "H1", false, now.Add(-2*time.Hour), "the first")}}}}})
	push := r.host.waitHistory(t, 1)[0]
	if eventIDs(push) != "H1" || !push.Done {
		t.Fatalf("pushed batch: %v; want H1, done", push)
	}
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: "+33611111111", Cursor: push.Cursor}); err != nil {
		t.Fatal(err)
	}
	if page := r.host.waitHistory(t, 2)[1]; !page.Done || len(page.Events) != 0 {
		t.Errorf("backfill: %v; want done at once", page)
	}
	if reqs := fake.OnDemandRequests(); len(reqs) != 0 {
		t.Errorf("the phone asked %v; want nothing asked", reqs)
	}
}

// An answer on demand the phone says complete ends the chat's history
// though it held as many messages as asked, and the next Backfill asks
// nothing. Before, the page was not done, and the phone was asked again.
func TestBackfillPhoneSaysComplete(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	fake.SetPhoneHistory(alice, phoneMsgs(alice, 3, now)...)
	fake.SetPhoneEnd(alice, waHistorySync.Conversation_COMPLETE_AND_NO_MORE_MESSAGE_REMAIN_ON_PRIMARY)
	push := pushed(t, r, fake, now)
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: "+33611111111", Cursor: push.Cursor, Limit: 3}); err != nil {
		t.Fatal(err)
	}
	if page := r.host.waitHistory(t, 2)[1]; eventIDs(page) != "P1,P2,P3" || !page.Done {
		t.Fatalf("page: %v; want P1..P3, done", page)
	}
	// Noted once the host stored the page, just after.
	for deadline := time.Now().Add(eventWait); !s.hist.oldest.get("+33611111111").Start; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the chat's start not noted: %v", s.hist.oldest.get("+33611111111"))
		}
	}
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: "+33611111111"}); err != nil {
		t.Fatal(err)
	}
	if page := r.host.waitHistory(t, 3)[2]; !page.Done || len(page.Events) != 0 {
		t.Errorf("backfill after the start: %v; want done at once", page)
	}
	if reqs := fake.OnDemandRequests(); len(reqs) != 1 {
		t.Errorf("the phone asked %d times; want once", len(reqs))
	}
}

// An answer on demand saying older messages remain on the phone that it
// does not give: the chat's history is done, and the user told that the
// phone holds older messages (at once, or at the end of the sync under
// way). Before, the page was not done (asked again), and nothing told.
func TestBackfillMoreOnPhoneNoAccess(t *testing.T) {
	r := newRig(t, "")
	r.n.histQuiet = 300 * time.Millisecond // the pushed sync ends: told then, if not before
	s, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	fake.SetPhoneHistory(alice, phoneMsgs(alice, 2, now)...)
	fake.SetPhoneEnd(alice, waHistorySync.Conversation_COMPLETE_ON_DEMAND_SYNC_WITH_MORE_MSG_ON_PRIMARY_BUT_NO_ACCESS)
	push := pushed(t, r, fake, now)
	from := r.host.count()
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: "+33611111111", Cursor: push.Cursor, Limit: 2}); err != nil {
		t.Fatal(err)
	}
	if page := r.host.waitHistory(t, 2)[1]; eventIDs(page) != "P1,P2" || !page.Done {
		t.Fatalf("page: %v; want P1, P2, done", page)
	}
	ev := waitNotice(t, r, from, "history-more-")
	if text := ev.GetNotice().Text; !strings.Contains(text, "+33611111111") || !strings.Contains(text, "does not give them") {
		t.Errorf("notice %q: want it to name the chat, and say the phone does not give them", text)
	}
}

// A history sync whose conversations say more remains on the phone (the
// end of nearly every chat in a real phone's sync, which sends a window
// of about three months) tells nothing of it: the phone gives them on
// demand, and history on demand goes on asking for the chat. Before,
// each sync told "older messages of N chats remain on your phone", most
// chats, of messages the gateway asks for at its next start.
func TestSyncMoreOnPhoneNotTold(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	fake.SetPhoneHistory(alice, phoneMsgs(alice, 2, now)...)
	conv := func(jid types.JID, id string) *waHistorySync.Conversation {
		return &waHistorySync.Conversation{ID: proto.String(jid.String()),
			EndOfHistoryTransfer:     proto.Bool(true),
			EndOfHistoryTransferType: waHistorySync.Conversation_COMPLETE_BUT_MORE_MESSAGES_REMAIN_ON_PRIMARY.Enum(),
			Messages:                 []*waHistorySync.HistorySyncMsg{webMsg(jid, id, false, now.Add(-time.Minute), "kept "+id)}}
	}
	from := r.host.count()
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(), Progress: proto.Uint32(50),
		Conversations: []*waHistorySync.Conversation{conv(alice, "A1")}}})
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_FULL.Enum(), Progress: proto.Uint32(100),
		Conversations: []*waHistorySync.Conversation{conv(bob, "B1")}}})
	syncEnded(t, r, from) // what the sync tells comes before its end
	if told := noticesByID(r.host.since(from), "history-"); len(told) != 0 {
		t.Errorf("notices %v; want none: the phone gives the older messages on demand", told)
	}
	var cursor string
	for _, b := range r.host.waitHistory(t, 2) {
		if b.ChatId == "+33611111111" {
			cursor = b.Cursor
			if b.Done {
				t.Errorf("alice's pushed batch done: %v; more remains, to ask on demand", b)
			}
		}
	}
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: "+33611111111", Cursor: cursor, Limit: 2}); err != nil {
		t.Fatal(err)
	}
	if page := r.host.waitHistory(t, 3)[2]; eventIDs(page) != "P1,P2" {
		t.Errorf("history on demand: %v; want the phone's older P1, P2", page)
	}
}
