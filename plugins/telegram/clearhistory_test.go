package telegram

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A private chat's history cleared on the phone (205 messages, which
// Telegram tells as three updateDeleteMessages: 100, 100 and 5) is one
// notice in the chat, corrected to the total, and no retraction; a
// single message deleted is still a retraction; a supergroup's history
// cleared for the user (updateChannelAvailableMessages) is one notice.
// Before, each message was a retraction of its own (hundreds of them
// for the user's XMPP client), and the supergroup's clear said nothing.
func TestHistoryClearedOnPhone(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 610, Title: "Club", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	_, h, _, _ := connectAlice(t, srv)
	bobChat := &tg.PeerUser{UserID: alice.ID}
	var last int
	for i := range 206 {
		last = srv.Send(bob.ID, bobChat, "message "+strconv.Itoa(i))
	}
	h.wait(t, 0, "bob's last message", func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "message 205" })

	from := h.count()
	srv.Delete(last)
	h.wait(t, from, "one deletion, a retraction", func(ev *pb.Event) bool { return ev.ChatId == "1002" && ev.GetRetraction() != nil })

	from = h.count()
	srv.ClearHistory(alice.ID, &tg.PeerUser{UserID: bob.ID})
	isNotice := func(ev *pb.Event) bool {
		return ev.ChatId == "1002" && strings.Contains(ev.GetMessage().GetText(), "messages of this chat were deleted on Telegram at once")
	}
	notice := h.wait(t, from, "the clear's notice", isNotice)
	if !strings.HasPrefix(notice.GetMessage().Text, "100 messages") || notice.Sender != nil {
		t.Errorf("notice %v: want 100 messages, from no one", notice)
	}
	h.wait(t, from, "the notice corrected to the total", func(ev *pb.Event) bool {
		return ev.GetEdit().GetTargetId() == notice.EventId && strings.HasPrefix(ev.GetEdit().Text, "205 messages")
	})
	if n := countOf(h, from, func(ev *pb.Event) bool { return ev.GetRetraction() != nil }); n != 0 {
		t.Errorf("%d retractions for the clear, want none", n)
	}
	if n := countOf(h, from, isNotice); n != 1 {
		t.Errorf("%d notices for the clear, want one", n)
	}

	// Bob's next message, deleted within the minute after the clear, is
	// no page of it: retracted, the notice left at the total.
	after := srv.Send(bob.ID, bobChat, "after the clear")
	h.wait(t, from, "bob's message after the clear", isMessage("1002", "after the clear"))
	srv.Delete(after)
	h.wait(t, from, "its deletion, a retraction", func(ev *pb.Event) bool {
		return ev.GetRetraction().GetTargetId() == strconv.Itoa(after)
	})
	if n := countOf(h, from, func(ev *pb.Event) bool {
		return ev.GetEdit().GetTargetId() == notice.EventId && strings.HasPrefix(ev.GetEdit().Text, "206 ")
	}); n != 0 {
		t.Errorf("%d corrections of the notice past the clear's 205 messages, want none", n)
	}

	srv.Send(bob.ID, &tg.PeerChannel{ChannelID: 610}, "in the club")
	h.wait(t, 0, "the club's message", func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "in the club" })
	from = h.count()
	srv.ClearChannelHistory(alice.ID, 610)
	ev := h.wait(t, from, "the supergroup's clear told", func(ev *pb.Event) bool { return ev.ChatId == "-100610" && ev.GetMessage() != nil })
	if !strings.Contains(ev.GetMessage().Text, "This group's history was cleared for you") {
		t.Errorf("notice %q: want the group's history cleared", ev.GetMessage().Text)
	}
}

// A restart between a clear's pages (the phone clearing 130 messages:
// the first hundred told while the session is up, the last 30 while it
// is away, told by the catch-up) corrects the same notice to 130. The
// notice lived in memory: the catch-up's page was retracted message by
// message, or a second notice when long.
func TestHistoryClearedAcrossRestart(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	bobChat := &tg.PeerUser{UserID: alice.ID}
	for i := range 130 {
		srv.Send(bob.ID, bobChat, "message "+strconv.Itoa(i))
	}
	h.wait(t, 0, "bob's last message", func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "message 129" })

	from := h.count()
	if left := srv.ClearHistoryPages(alice.ID, &tg.PeerUser{UserID: bob.ID}, 1); left != 30 {
		t.Fatalf("%d messages left after the clear's first page, want 30", left)
	}
	isNotice := func(ev *pb.Event) bool {
		return ev.ChatId == "1002" && strings.Contains(ev.GetMessage().GetText(), "messages of this chat were deleted on Telegram at once")
	}
	notice := h.wait(t, from, "the clear's notice", isNotice)
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv.ClearHistoryPages(alice.ID, &tg.PeerUser{UserID: bob.ID}, 0)
	connect(t, n, h, info)
	h.wait(t, from, "the notice corrected to the total after the restart", func(ev *pb.Event) bool {
		return ev.GetEdit().GetTargetId() == notice.EventId && strings.HasPrefix(ev.GetEdit().Text, "130 messages")
	})
	if n := countOf(h, from, func(ev *pb.Event) bool { return ev.GetRetraction() != nil }); n != 0 {
		t.Errorf("%d retractions for the clear, want none", n)
	}
	if n := countOf(h, from, isNotice); n != 1 {
		t.Errorf("%d notices for the clear, want one", n)
	}
}

// The merge of a clear's pages, on its own: a deletion of more than
// bulkDeleteMax messages is a notice; a short one of the same chat while
// its clear is under way (its last page) corrects it, told again
// counted once; one of another
// chat, or once bulkDeleteMerge went by since the clear's last page, is
// retracted message by message again.
func TestHistoryClearedMergeWindow(t *testing.T) {
	s, _ := unitSession(t)
	s.newest.note("1002", 49) // the chat's newest message seen: a clear deletes none newer
	dels := func(chat string, from, n int) []*pb.Event {
		var evs []*pb.Event
		for id := from; id < from+n; id++ {
			evs = append(evs, deleteEvent(chat, id))
		}
		return evs
	}
	evs := s.deletionEvents(dels("1002", 1, 30))
	if len(evs) != 1 || !strings.HasPrefix(evs[0].GetMessage().GetText(), "30 messages") {
		t.Fatalf("30 deletions: %v, want one notice of 30", evs)
	}
	notice := evs[0].EventId
	if evs := s.deletionEvents(dels("1003", 100, 3)); len(evs) != 3 || evs[0].GetRetraction() == nil {
		t.Errorf("3 deletions of another chat: %v, want 3 retractions", evs)
	}
	evs = s.deletionEvents(dels("1002", 31, 5))
	if len(evs) != 1 || evs[0].GetEdit().GetTargetId() != notice || !strings.HasPrefix(evs[0].GetEdit().GetText(), "35 messages") {
		t.Fatalf("the clear's last page: %v, want the notice corrected to 35", evs)
	}
	// The same page told again (the catch-up after a restart before its
	// pts was kept) counts once.
	evs = s.deletionEvents(dels("1002", 31, 5))
	if len(evs) != 1 || evs[0].GetEdit().GetTargetId() != notice || !strings.HasPrefix(evs[0].GetEdit().GetText(), "35 messages") {
		t.Fatalf("the clear's last page told again: %v, want the notice left at 35", evs)
	}
	if evs := s.deletionEvents(dels("1002", 60, 1)); len(evs) != 1 || evs[0].GetRetraction() == nil {
		t.Errorf("a deletion of a message newer than the clear, within its minute: %v, want a retraction", evs)
	}
	s.bulk.mu.Lock()
	last := s.bulk.last["1002"]
	last.At -= bulkDeleteMerge.Microseconds()
	s.bulk.last["1002"] = last
	s.bulk.mu.Unlock()
	if evs := s.deletionEvents(dels("1002", 40, 2)); len(evs) != 2 || evs[0].GetRetraction() == nil || evs[1].GetRetraction() == nil {
		t.Errorf("2 deletions after the clear: %v, want 2 retractions", evs)
	}
	evs = s.deletionEvents(dels("1002", 50, 25))
	if len(evs) != 1 || evs[0].GetMessage() == nil || evs[0].EventId == notice || !strings.HasPrefix(evs[0].GetMessage().Text, "25 messages") {
		t.Errorf("a new clear after the window: %v, want a notice of its own of 25", evs)
	}
}

// The clears' notices kept in the login's database are bounded: one
// older than bulkNoticeKeep goes when another is kept.
func TestBulkNoticesPruned(t *testing.T) {
	s, _ := unitSession(t)
	old := time.Now().Add(-bulkNoticeKeep - time.Minute).UnixMicro()
	if err := s.st.putBulkNotice("1002", bulkNotice{ID: "cleared-40", N: 40, At: old, Bound: 40}); err != nil {
		t.Fatal(err)
	}
	if err := s.st.putBulkNotice("1003", bulkNotice{ID: "cleared-90", N: 30, At: time.Now().UnixMicro(), Bound: 90}); err != nil {
		t.Fatal(err)
	}
	kept, err := s.st.bulkNotices()
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != 1 || kept["1003"].ID != "cleared-90" || kept["1003"].N != 30 {
		t.Errorf("notices kept: %v, want only 1003's, the day-old one of 1002 gone", kept)
	}
}
