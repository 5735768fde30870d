package whatsapp

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// readableIn is a message of the group that whatsmeow reads (it names
// its sender); unreadableIn one it cannot (a group's naming no sender).
func readableIn(id string, at time.Time) *waWeb.WebMessageInfo {
	hm := webMsg(group, id, false, at, "fine "+id)
	hm.Message.Participant = proto.String(alice.String())
	return hm.Message
}

func unreadableIn(id string, at time.Time) *waWeb.WebMessageInfo {
	return webMsg(group, id, false, at, "whose?").Message
}

// A page of history on demand made only of messages whatsmeow cannot
// read is not the chat's start: its cursor is past them (their IDs and
// times are in the answer), and scrolling further back brings the older
// readable ones. Before, the page was done, with the cursor asked from:
// the older messages could never be had.
func TestBackfillPastUnreadablePage(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	fake.SetPhoneHistory(group,
		readableIn("R1", now.Add(-9*time.Hour)), readableIn("R2", now.Add(-8*time.Hour)),
		unreadableIn("U1", now.Add(-7*time.Hour)), unreadableIn("U2", now.Add(-6*time.Hour)), unreadableIn("U3", now.Add(-5*time.Hour)))
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_ON_DEMAND.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
			{Message: readableIn("R9", now.Add(-2*time.Hour))},
		}}}}})
	push := r.host.waitHistory(t, 1)[0]
	if eventIDs(push) != "R9" {
		t.Fatalf("pushed: %v", push)
	}

	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: group.String(), Cursor: push.Cursor, Limit: 3}); err != nil {
		t.Fatal(err)
	}
	page := r.host.waitHistory(t, 2)[1]
	if len(page.Events) != 0 || page.Done || parseCursor(page.Cursor).ID != "U1" {
		t.Fatalf("page of unreadable messages: %d events, done %v, cursor %q; want none, not done, from U1", len(page.Events), page.Done, page.Cursor)
	}

	// Scrolling back: from U1, the older readable ones, then the start.
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: group.String(), Cursor: page.Cursor, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	got := r.host.waitHistory(t, 4)
	if eventIDs(got[2]) != "R1,R2" || got[2].Done || parseCursor(got[2].Cursor).ID != "R1" {
		t.Fatalf("older page: %v; want R1,R2, not done", got[2])
	}
	if len(got[3].Events) != 0 || !got[3].Done {
		t.Fatalf("the start: %v", got[3])
	}
	if reqs := fake.OnDemandRequests(); len(reqs) != 3 || reqs[0].GetOldestMsgID() != "R9" || reqs[1].GetOldestMsgID() != "U1" || reqs[2].GetOldestMsgID() != "R1" {
		t.Errorf("requests: %v; want from R9, U1, R1", reqs)
	}
}

// A message of the history sync whatsmeow cannot read is told once: in
// the sync's notice, not again in the first page of history on demand,
// which asks from before it. Before, the page was asked from the oldest
// readable message and told the sync's unreadable ones again with its
// own.
func TestBackfillUnreadableToldOnce(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	u1, u2 := unreadableIn("U1", now.Add(-4*time.Hour)), unreadableIn("U2", now.Add(-3*time.Hour))
	fake.SetPhoneHistory(group,
		unreadableIn("U0", now.Add(-6*time.Hour)), readableIn("R1", now.Add(-5*time.Hour)), u1, u2, readableIn("R9", now.Add(-2*time.Hour)))
	from := r.host.count()
	// The whole sync in one blob: FULL at 100% ends it.
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_FULL.Enum(), Progress: proto.Uint32(100),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
			{Message: readableIn("R9", now.Add(-2*time.Hour))}, {Message: u2}, {Message: u1},
		}}}}})
	push := r.host.waitHistory(t, 1)[0]
	if eventIDs(push) != "R9" {
		t.Fatalf("pushed: %v", push)
	}
	if text := waitNotice(t, r, from, "history-unreadable-").GetNotice().Text; !strings.HasPrefix(text, "2 messages of") {
		t.Fatalf("the sync's notice %q: want 2 messages", text)
	}

	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: group.String(), Cursor: push.Cursor, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if page := r.host.waitHistory(t, 2)[1]; eventIDs(page) != "R1" {
		t.Fatalf("page: %v; want R1", page)
	}
	if reqs := fake.OnDemandRequests(); len(reqs) == 0 || reqs[0].GetOldestMsgID() != "U1" {
		t.Errorf("requests: %v; want the first from U1", reqs)
	}
	// The page's notice is told before the page is sent: both are in.
	two, one := 0, 0
	told := noticesByID(r.host.since(from), "history-unreadable-")
	for _, text := range told {
		switch {
		case strings.HasPrefix(text, "2 messages of"):
			two++
		case strings.HasPrefix(text, "A message of"):
			one++
		}
	}
	if len(told) != 2 || two != 1 || one != 1 {
		t.Errorf("notices: %q; want the sync's (2 messages) and the page's (U0 alone): none told twice", told)
	}
}

// A page of history on demand whose notice of messages not read the
// gateway does not take is not sent, nor is the cursor moved past them:
// an empty page, not done, from where it was asked; asked again, the
// notice is told, then the page comes. Before, the page moved the
// cursor past them all the same, and they were never told.
func TestBackfillUnreadableNoticeNotTaken(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	fake.SetPhoneHistory(group, readableIn("R1", now.Add(-9*time.Hour)), unreadableIn("U1", now.Add(-7*time.Hour)))
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_ON_DEMAND.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
			{Message: readableIn("R9", now.Add(-2*time.Hour))},
		}}}}})
	push := r.host.waitHistory(t, 1)[0]
	if eventIDs(push) != "R9" {
		t.Fatalf("pushed: %v", push)
	}
	var refused atomic.Int32
	r.host.mu.Lock()
	r.host.durable = func(ev *pb.Event) error {
		if strings.HasPrefix(ev.EventId, "history-unreadable-") {
			refused.Add(1)
			return errors.New("the gateway went away")
		}
		return nil
	}
	r.host.mu.Unlock()

	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: group.String(), Cursor: push.Cursor, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	page := r.host.waitHistory(t, 2)[1]
	if len(page.Events) != 0 || page.Done || parseCursor(page.Cursor).ID != "R9" {
		t.Fatalf("page whose notice was not taken: %d events, done %v, cursor %q; want none, not done, from R9", len(page.Events), page.Done, page.Cursor)
	}
	r.host.mu.Lock()
	r.host.durable = nil
	r.host.mu.Unlock()
	if refused.Load() == 0 {
		t.Fatal("the page's notice of messages not read not tried")
	}
	if a := s.hist.oldest.get(group.String()); a.ID != "R9" {
		t.Errorf("the chat's oldest known moved to %q, want R9: past messages not told", a.ID)
	}

	from := r.host.count()
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: group.String(), Cursor: page.Cursor, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if text := waitNotice(t, r, from, "history-unreadable-").GetNotice().Text; !strings.HasPrefix(text, "A message of") {
		t.Errorf("the notice asked again: %q, want U1's", text)
	}
	if again := r.host.waitHistory(t, 3)[2]; eventIDs(again) != "R1" || parseCursor(again.Cursor).ID != "R1" {
		t.Errorf("the page asked again: %v; want R1, from R1", again)
	}
}

// An answer of history on demand come too late (no request waits for
// it), whose notice of messages not read the gateway did not take, is
// kept: told again at the push's end, with its count. Before, the
// refused notice was only logged and the messages never told.
func TestLateAnswerUnreadableKept(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	var refused atomic.Int32
	r.host.mu.Lock()
	r.host.durable = func(ev *pb.Event) error {
		if strings.HasPrefix(ev.EventId, "history-unreadable-") && refused.Add(1) == 1 {
			return errors.New("the gateway went away") // the first try only
		}
		return nil
	}
	r.host.mu.Unlock()
	from := r.host.count()
	now := time.Now().Truncate(time.Second)
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_ON_DEMAND.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
			{Message: readableIn("R9", now.Add(-2*time.Hour))},
			{Message: unreadableIn("U1", now.Add(-3*time.Hour))}, {Message: unreadableIn("U2", now.Add(-4*time.Hour))},
		}}}}})
	if push := r.host.waitHistory(t, 1)[0]; eventIDs(push) != "R9" {
		t.Fatalf("pushed: %v", push)
	}
	if text := waitNotice(t, r, from, "history-unreadable-").GetNotice().Text; !strings.HasPrefix(text, "2 messages of") {
		t.Errorf("the late answer's notice: %q; want its 2 messages", text)
	}
	if refused.Load() < 2 {
		t.Errorf("the notice tried %d times; want refused once, then told", refused.Load())
	}
}
