package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// waitHistory waits up to 5 s for the n-th history batch (from 1) and
// returns the batches so far.
func (h *testHost) waitHistory(t *testing.T, n int) []*pb.HistoryBatch {
	t.Helper()
	deadline := time.After(eventWait)
	for {
		h.mu.Lock()
		if len(h.history) >= n {
			out := append([]*pb.HistoryBatch(nil), h.history...)
			h.mu.Unlock()
			return out
		}
		ch := h.changed
		got := len(h.history)
		h.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%d history batches, want %d", got, n)
		}
	}
}

func (h *testHost) historyCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.history)
}

// phoneMsgs are n messages of chat on the phone, "P1" the oldest, an hour
// apart, the newest 5 hours ago.
func phoneMsgs(chat types.JID, n int, now time.Time) []*waWeb.WebMessageInfo {
	var out []*waWeb.WebMessageInfo
	for i := 1; i <= n; i++ {
		out = append(out, webMsg(chat, fmt.Sprintf("P%d", i), i%2 == 0, now.Add(-time.Duration(5+n-i)*time.Hour), fmt.Sprintf("old %d", i)).Message)
	}
	return out
}

func eventIDs(b *pb.HistoryBatch) string {
	var ids []string
	for _, ev := range b.Events {
		ids = append(ids, ev.EventId)
	}
	return strings.Join(ids, ",")
}

// pushed has the phone push one message of alice's chat, "H1" two hours
// ago, and returns its batch.
func pushed(t *testing.T, r *rig, fake *wafake.Client, now time.Time) *pb.HistoryBatch {
	t.Helper()
	from := r.host.historyCount()
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{
			webMsg(alice, "H1", false, now.Add(-2*time.Hour), "pushed"),
		}}}}})
	return r.host.waitHistory(t, from+1)[from]
}

// Backfill asks the phone for what is older than the pushed history,
// page after page: the cursor moves back, and the chat's start is done.
func TestBackfillOnDemand(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	fake.SetPhoneHistory(alice, phoneMsgs(alice, 5, now)...)

	push := pushed(t, r, fake, now)
	if push.Done || !strings.HasPrefix(push.Cursor, cursorPrefix) || eventIDs(push) != "H1" {
		t.Fatalf("pushed batch: %v", push)
	}

	// Three older than the pushed one: P3..P5, not done.
	if err := s.Backfill(ctx, sdk.BackfillRequest{ChatID: "+33611111111", Cursor: push.Cursor, Limit: 3}); err != nil {
		t.Fatal(err)
	}
	page := r.host.waitHistory(t, 2)[1]
	if eventIDs(page) != "P3,P4,P5" || page.Done || page.ChatId != "+33611111111" || page.GetEvents()[1].GetSender().GetIsFromMe() != true ||
		page.Events[0].GetMessage().GetText() != "old 3" {
		t.Fatalf("first page: %v", page)
	}
	reqs := fake.OnDemandRequests()
	if len(reqs) != 1 || reqs[0].GetChatJID() != alice.String() || reqs[0].GetOldestMsgID() != "H1" || reqs[0].GetOldestMsgFromMe() ||
		reqs[0].GetOnDemandMsgCount() != 3 || reqs[0].GetOldestMsgTimestampMS() != now.Add(-2*time.Hour).UnixMilli() {
		t.Fatalf("request: %v", reqs)
	}
	if a := parseCursor(page.Cursor); a.ID != "P3" || a.Chat != alice.String() || a.FromMe {
		t.Errorf("first page's cursor %q", page.Cursor)
	}

	// The rest, P1 and P2 (fewer than asked), then nothing older: the
	// chat's start, done, with P1 as the cursor.
	if err := s.Backfill(ctx, sdk.BackfillRequest{ChatID: "+33611111111", Cursor: page.Cursor, Limit: 3}); err != nil {
		t.Fatal(err)
	}
	got := r.host.waitHistory(t, 4)
	if page := got[2]; eventIDs(page) != "P1,P2" || page.Done || parseCursor(page.Cursor).ID != "P1" {
		t.Fatalf("last page: %v", page)
	}
	if page := got[3]; len(page.Events) != 0 || !page.Done || parseCursor(page.Cursor).ID != "P1" {
		t.Fatalf("the start: %v", page)
	}

	// A cursor left behind (the pushed batch's) pages from the oldest
	// seen: nothing older than P1, done at once.
	if err := s.Backfill(ctx, sdk.BackfillRequest{ChatID: "+33611111111", Cursor: push.Cursor}); err != nil {
		t.Fatal(err)
	}
	page = r.host.waitHistory(t, 5)[4]
	reqs = fake.OnDemandRequests()
	if len(page.Events) != 0 || !page.Done || len(reqs) != 4 || reqs[3].GetOldestMsgID() != "P1" || reqs[3].GetOnDemandMsgCount() != int32(onDemandPage.get()) {
		t.Fatalf("after the start: %v, requests %v", page, reqs)
	}
	// What the plugin saw is kept in the login folder.
	if a := newHistoryState(s.login.Dir, nil, nil).oldest.get("+33611111111"); a.ID != "P1" {
		t.Errorf("oldest kept: %v", a)
	}
}

// One Backfill pages until its limit: pages of onDemandPage.
func TestBackfillPages(t *testing.T) {
	setFor(t, onDemandPage, 2)
	r := newRig(t, "")
	s, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	fake.SetPhoneHistory(alice, phoneMsgs(alice, 6, now)...)
	push := pushed(t, r, fake, now)
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: "+33611111111", Cursor: push.Cursor, Limit: 5}); err != nil {
		t.Fatal(err)
	}
	got := r.host.waitHistory(t, 4)[1:]
	if len(got) != 3 || eventIDs(got[0]) != "P5,P6" || eventIDs(got[1]) != "P3,P4" || eventIDs(got[2]) != "P2" || got[2].Done {
		t.Fatalf("pages: %v", got)
	}
	if got[0].Cursor == got[1].Cursor || parseCursor(got[2].Cursor).ID != "P2" {
		t.Errorf("cursors: %q %q %q", got[0].Cursor, got[1].Cursor, got[2].Cursor)
	}
	time.Sleep(100 * time.Millisecond)
	if n := r.host.historyCount(); n != 4 {
		t.Errorf("%d batches after the limit, want 4", n)
	}
}

// The phone does not answer: an empty page, not done, at the cursor
// asked from; its answer coming late is history all the same.
func TestBackfillPhoneSilent(t *testing.T) {
	// The wait, and so how long after it the phone is not asked again:
	// the second Backfill must come within it, on CI's loaded cores too.
	setFor(t, onDemandWait, time.Second)
	r := newRig(t, "")
	s, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	push := pushed(t, r, fake, now)
	fake.SetPhoneSilent(true)
	start := time.Now()
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: "+33611111111", Cursor: push.Cursor, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	page := r.host.waitHistory(t, 2)[1]
	if len(page.Events) != 0 || page.Done || page.Cursor != push.Cursor || time.Since(start) < onDemandWait.get() {
		t.Fatalf("after no answer (%s): %v", time.Since(start), page)
	}
	// Right after, the phone is not asked again: an empty page, no
	// second request (the request count says it, not a time).
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: "+33611111111", Cursor: push.Cursor, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	page = r.host.waitHistory(t, 3)[2]
	if len(page.Events) != 0 || page.Done || len(fake.OnDemandRequests()) != 1 {
		t.Fatalf("asked again (%d requests): %v", len(fake.OnDemandRequests()), page)
	}
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_ON_DEMAND.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{
			webMsg(alice, "LATE", false, now.Add(-3*time.Hour), "late"),
		}}}}})
	late := r.host.waitHistory(t, 4)[3]
	if eventIDs(late) != "LATE" || late.Done {
		t.Errorf("late answer: %v", late)
	}
	// The phone answered: it is asked again, and pages from LATE.
	fake.SetPhoneSilent(false)
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: "+33611111111", Cursor: push.Cursor, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if page := r.host.waitHistory(t, 5)[4]; !page.Done {
		t.Errorf("after the phone came back: %v", page)
	}
	if reqs := fake.OnDemandRequests(); len(reqs) != 2 || reqs[1].GetOldestMsgID() != "LATE" {
		t.Errorf("requests: %v", reqs)
	}
}

// Nothing known of a chat, history off: done at once, the phone not
// asked. A chat ID that is none is an error, as is asking while not
// connected.
func TestBackfillNothingToAsk(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	if err := s.Backfill(ctx, sdk.BackfillRequest{ChatID: "+33699999999"}); err != nil {
		t.Fatal(err)
	}
	if b := r.host.waitHistory(t, 1)[0]; !b.Done || len(b.Events) != 0 || b.ChatId != "+33699999999" {
		t.Errorf("unknown chat: %v", b)
	}
	if err := s.Backfill(ctx, sdk.BackfillRequest{ChatID: "nonsense"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("not a chat: %v", err)
	}
	push := pushed(t, r, fake, time.Now())
	fake.Disconnect()
	if err := s.Backfill(ctx, sdk.BackfillRequest{ChatID: "+33611111111", Cursor: push.Cursor}); codeOf(err) != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Errorf("not connected: %v", err)
	}
	if n := len(fake.OnDemandRequests()); n != 0 {
		t.Errorf("%d requests to the phone", n)
	}

	off := newRig(t, `{"history_days": -1}`)
	s, fake = off.connected(t)
	fake.SetPhoneHistory(alice, phoneMsgs(alice, 2, time.Now())...)
	a := anchor{Chat: alice.String(), ID: "X", TimeMS: time.Now().UnixMilli()}
	if err := s.Backfill(ctx, sdk.BackfillRequest{ChatID: "+33611111111", Cursor: a.cursor()}); err != nil {
		t.Fatal(err)
	}
	if b := off.host.waitHistory(t, 1)[0]; !b.Done || len(b.Events) != 0 || len(fake.OnDemandRequests()) != 0 {
		t.Errorf("history off: %v", b)
	}
}

// A chat whose first message came live is paged back from it.
func TestBackfillFromLiveMessage(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	fake.SetPhoneHistory(alice, phoneMsgs(alice, 2, now)...)
	fake.Receive(context.Background(), &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "LIVE1", Timestamp: now},
		&waE2E.Message{Conversation: proto.String("hi")})
	r.host.next(t, 0, func(ev *pb.Event) bool { return ev.EventId == "LIVE1" })
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: "+33611111111"}); err != nil {
		t.Fatal(err)
	}
	got := r.host.waitHistory(t, 2)
	if eventIDs(got[0]) != "P1,P2" || got[0].Done || len(got[1].Events) != 0 || !got[1].Done {
		t.Errorf("pages: %v", got)
	}
	if reqs := fake.OnDemandRequests(); len(reqs) != 2 || reqs[0].GetOldestMsgID() != "LIVE1" || reqs[1].GetOldestMsgID() != "P1" {
		t.Errorf("requests: %v", reqs)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	a := anchor{Chat: "120363000000000001@g.us", ID: "3EB0ABC", FromMe: true, TimeMS: 1764000000123}
	if got := parseCursor(a.cursor()); got != a {
		t.Errorf("round trip: %v", got)
	}
	for _, bad := range []string{"", "wa:none", "wa:1764000000123000:X", "wa2:x:0:a@s.whatsapp.net:X", "wa2:1:2:a@s.whatsapp.net:X", "wa2:1:0:a@s.whatsapp.net:", "wa2:1:0"} {
		if got := parseCursor(bad); !got.zero() {
			t.Errorf("%q: %v", bad, got)
		}
	}
}

// A page the host has not stored moves no anchor: the plugin dying
// before the host stored it (here the host fails the wait), the next
// Backfill asks the phone from the same message again, where before the
// page's oldest message was kept as the chat's oldest and the page was
// never asked for again.
func TestBackfillPageNotStoredAskedAgain(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	fake.SetPhoneHistory(alice, phoneMsgs(alice, 5, now)...)
	push := pushed(t, r, fake, now)

	r.host.mu.Lock()
	r.host.stored = func(context.Context, *pb.HistoryBatch) error {
		return errors.New("the plugin died before the host stored it")
	}
	r.host.mu.Unlock()
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: "+33611111111", Cursor: push.Cursor, Limit: 3}); err != nil {
		t.Fatal(err)
	}
	if page := r.host.waitHistory(t, 2)[1]; eventIDs(page) != "P3,P4,P5" {
		t.Fatalf("page: %v", page)
	}
	// Sent, and not stored: the page's oldest is not kept (the old
	// code kept it before sending).
	if a := newHistoryState(s.login.Dir, nil, nil).oldest.get("+33611111111"); a.ID != "H1" {
		t.Fatalf("oldest kept after a page the host did not store: %v, want still H1", a)
	}

	r.host.mu.Lock()
	r.host.stored = nil
	r.host.mu.Unlock()
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: "+33611111111", Cursor: push.Cursor, Limit: 3}); err != nil {
		t.Fatal(err)
	}
	if page := r.host.waitHistory(t, 3)[2]; eventIDs(page) != "P3,P4,P5" {
		t.Fatalf("page asked again: %v", page)
	}
	if reqs := fake.OnDemandRequests(); len(reqs) != 2 || reqs[1].GetOldestMsgID() != "H1" {
		t.Fatalf("requests: %v, want the second from H1 again", reqs)
	}
}
