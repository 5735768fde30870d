package whatsapp

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// noticeWait bounds the wait for a notice: background work (a history
// download) tells it, on 2 busy cores under -race.
const noticeWait = 30 * time.Second

// waitNotice waits for a notice whose ID starts with prefix, after from,
// and checks what every notice must be: a warning, no chat.
func waitNotice(t *testing.T, r *rig, from int, prefix string) *pb.Event {
	t.Helper()
	ev, _ := r.host.nextFrom(t, from, noticeWait, func(ev *pb.Event) bool {
		return ev.GetNotice() != nil && strings.HasPrefix(ev.EventId, prefix)
	})
	if ev.ChatId != "" || ev.GetNotice().Level != pb.NoticeLevel_NOTICE_LEVEL_WARNING || ev.LoginId == "" {
		t.Errorf("notice %v: want a warning of the login, no chat", ev)
	}
	return ev
}

// noticesByID is the texts of the notices among evs whose ID starts with
// prefix, by ID: the gateway shows an event ID once, so one ID is one
// notice shown, however often the plugin emits it.
func noticesByID(evs []*pb.Event, prefix string) map[string]string {
	told := map[string]string{}
	for _, e := range evs {
		if e.GetNotice() != nil && strings.HasPrefix(e.EventId, prefix) {
			told[e.EventId] = e.GetNotice().Text
		}
	}
	return told
}

// A history sync whose blob WhatsApp's servers no longer have (410) is
// lost for good: the user is told, and its notice is not kept to be tried
// again. Before, it was only logged.
func TestNoticeHistoryGone(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	from := r.host.count()
	id, err := fake.HistoryNoticeGone(context.Background(), waHistorySync.HistorySync_RECENT)
	if err != nil {
		t.Fatal(err)
	}
	ev := waitNotice(t, r, from, "history-lost-")
	if text := ev.GetNotice().Text; !strings.Contains(text, "history could not be downloaded") || !strings.Contains(text, "410") {
		t.Errorf("notice %q: want it to say the history was not downloaded, and why", text)
	}
	if !strings.Contains(ev.EventId, string(id)) {
		t.Errorf("notice ID %q: want it to name the sync's notice %s (the same one told again shows once)", ev.EventId, id)
	}
	waitNoNotice(t, s)
}

// The same history sync notice delivered twice (WhatsApp sends a message
// again whose receipt it did not get), its blob gone: each copy is tried,
// and the user told once, the notice ID naming the message, not the file
// each copy was kept in. Before, each file's name (its time first) made
// a notice of its own.
func TestNoticeHistoryGoneTwice(t *testing.T) {
	r := newRig(t, "")
	s, _ := r.connected(t)
	from := r.host.count()
	const id = "3EB0HISTAGAIN"
	gone := &waE2E.HistorySyncNotification{SyncType: waE2E.HistorySyncType_RECENT.Enum(),
		MediaKey: make([]byte, 32), FileSHA256: make([]byte, 32), FileEncSHA256: make([]byte, 32),
		DirectPath: proto.String("/v/t62.gone/" + id)}
	s.historyNotice(id, gone)
	s.historyNotice(id, gone)
	waitNotice(t, r, from, "history-lost-")
	waitNoNotice(t, s) // both copies downloaded, and told before removed
	told := noticesByID(r.host.since(from), "history-lost-")
	if _, ok := told["history-lost-"+id]; len(told) != 1 || !ok {
		t.Errorf("notices of the lost blob: %v; want history-lost-%s alone", told, id)
	}
}

// Messages of a history sync whatsmeow cannot read (a group's message
// naming no sender) are left out, the others shown: the user is told how
// many, once for the whole sync, at its end, not once a blob (a sync
// after pairing is dozens). One older than the history kept is not
// counted (it would not be shown anyway). Before, they were dropped
// unsaid; then told once a blob.
func TestNoticeHistoryUnreadable(t *testing.T) {
	r := newRig(t, `{"history_days": 7}`)
	_, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	from := r.host.count()
	noSender := func(id string, at time.Time) *waHistorySync.HistorySyncMsg {
		return webMsg(group, id, false, at, "whose?") // a group's, no participant
	}
	withSender := func(id string, at time.Time) *waHistorySync.HistorySyncMsg {
		hm := webMsg(group, id, false, at, "fine")
		hm.Message.Participant = proto.String(alice.String())
		return hm
	}
	blob := func(typ waHistorySync.HistorySync_HistorySyncType, progress uint32, msgs ...*waHistorySync.HistorySyncMsg) *events.HistorySync {
		return &events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: typ.Enum(), Progress: proto.Uint32(progress),
			Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: msgs}}}}
	}
	fake.Emit(blob(waHistorySync.HistorySync_RECENT, 100,
		noSender("U2", now.Add(-30*time.Minute)), withSender("G1", now.Add(-time.Hour)), noSender("U1", now.Add(-2*time.Hour)), noSender("U0", now.AddDate(0, 0, -8))))
	if b := r.host.waitHistory(t, 1); len(b) != 1 || len(b[0].Events) != 1 || b[0].Events[0].EventId != "G1" {
		t.Fatalf("history: %v; want G1 alone", b)
	}
	// WhatsApp's last blob of the sync (FULL at 100%) ends it.
	fake.Emit(blob(waHistorySync.HistorySync_FULL, 100, noSender("U3", now.Add(-3*time.Hour)), withSender("G0", now.Add(-4*time.Hour))))
	_, end := r.host.nextFrom(t, from, noticeWait, isProgressEnd)
	if told := noticesByID(r.host.since(from)[:end-from], "history-unreadable-"); len(told) != 1 {
		t.Fatalf("notices before the sync's end: %v; want one", told)
	}
	ev := waitNotice(t, r, from, "history-unreadable-")
	if text := ev.GetNotice().Text; !strings.HasPrefix(text, "3 messages of your WhatsApp history could not be read") {
		t.Errorf("notice %q: want it to say 3 messages could not be read", text)
	}
}

// A group joined by its link whose details WhatsApp does not give after
// the join: the room comes as the link showed it, and the user is told
// that it is incomplete. Before, it was only logged.
func TestNoticeJoinedGroupUnread(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	g := linkGroup("120363000000000901", "Walkers", false)
	fake.AddLink("WaLkErS0123456789abc", g)
	fake.FailGroupInfo(g.JID, &whatsmeow.IQError{Code: 500, Text: "internal-server-error"})
	from := r.host.count()
	joined, err := joinLink(s, "https://chat.whatsapp.com/WaLkErS0123456789abc")
	if err != nil || joined != g.JID.String() {
		t.Fatalf("join: %q, %v; want %s", joined, err, g.JID)
	}
	ev := waitNotice(t, r, from, "group-unread-")
	if text := ev.GetNotice().Text; !strings.Contains(text, "«Walkers»") || !strings.Contains(text, "did not give the group's details") {
		t.Errorf("notice %q: want it to name the group and say its details are missing", text)
	}
}

// Votes in a poll that cannot be decrypted (their payload damaged) leave
// the counts shown as they were: the user is told that they miss votes,
// once for the poll, not once a vote (a poll whose secret is wrong fails
// every vote cast in it). Before, it was only logged; then told once a
// vote.
func TestNoticeVoteUnread(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	poll := inGroup(alice, "POLLN")
	from := r.host.count()
	fake.Receive(ctx, &poll, lunchPoll())
	r.host.nextFrom(t, from, noticeWait, func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.EventId == "POLLN" })
	for i, voter := range []types.JID{bob, alice} {
		msg, err := fake.PollVote(ctx, voter, &poll, "pizza")
		if err != nil {
			t.Fatal(err)
		}
		enc := msg.GetPollUpdateMessage().GetVote()
		enc.EncPayload = append([]byte(nil), enc.GetEncPayload()...)
		enc.EncPayload[0] ^= 0xff // the GCM tag no longer matches
		info := types.MessageInfo{MessageSource: types.MessageSource{Chat: poll.Chat, Sender: voter, IsGroup: true},
			ID: types.MessageID(fmt.Sprintf("VOTEBAD%d", i)), Timestamp: when.Add(time.Duration(i+1) * time.Second)}
		fake.Receive(ctx, &info, msg)
	}
	ev := waitNotice(t, r, from, "vote-unread-")
	if text := ev.GetNotice().Text; !strings.Contains(text, "«Lunch?»") || ev.EventId != "vote-unread-POLLN" {
		t.Errorf("notice %s %q: want vote-unread-POLLN naming the poll", ev.EventId, text)
	}
	fenced(t, r, fake, from) // no correction by a vote not read; both votes handled
	if told := noticesByID(r.host.since(from), "vote-unread-"); len(told) != 1 {
		t.Errorf("notices of votes not read: %v; want one for the poll", told)
	}
}

// A page of history on demand with a message whatsmeow cannot read (a
// group's naming no sender): the page holds the others, and the user is
// told of the one left out.
func TestNoticeBackfillUnreadable(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	withSender := func(hm *waHistorySync.HistorySyncMsg) *waHistorySync.HistorySyncMsg {
		hm.Message.Participant = proto.String(alice.String())
		return hm
	}
	fake.SetPhoneHistory(group,
		withSender(webMsg(group, "Q1", false, now.Add(-5*time.Hour), "old one")).Message,
		webMsg(group, "QX", false, now.Add(-4*time.Hour), "whose?").Message,
		withSender(webMsg(group, "Q2", false, now.Add(-3*time.Hour), "old two")).Message)
	fake.Emit(&events.HistorySync{Data: &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{
			withSender(webMsg(group, "Q3", false, now.Add(-2*time.Hour), "pushed")),
		}}}}})
	push := r.host.waitHistory(t, 1)[0]
	from := r.host.count()
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: group.String(), Cursor: push.Cursor, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if page := r.host.waitHistory(t, 2)[1]; eventIDs(page) != "Q1,Q2" {
		t.Fatalf("page: %v; want Q1 and Q2", page)
	}
	ev := waitNotice(t, r, from, "history-unreadable-")
	if text := ev.GetNotice().Text; !strings.HasPrefix(text, "A message of your WhatsApp history could not be read") {
		t.Errorf("notice %q: want it to say a message could not be read", text)
	}
}
