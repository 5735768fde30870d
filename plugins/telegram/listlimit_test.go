package telegram

import (
	"fmt"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// lowerDialogLimit sets the dialogs' limit for one test (atomic: an
// earlier test's session may still read it).
func lowerDialogLimit(t *testing.T, n int) {
	old := dialogLimit.Swap(int64(n))
	t.Cleanup(func() { dialogLimit.Store(old) }) // after the session's end: registered before it
}

// noticesWith are the notices among h's events whose text holds word.
func noticesWith(h *testHost, word string) []*pb.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*pb.Event
	for _, ev := range h.events {
		if strings.Contains(ev.GetNotice().GetText(), word) {
			out = append(out, ev)
		}
	}
	return out
}

// dialogNotices are the notices of the dialogs' limit among h's events.
func dialogNotices(h *testHost) []*pb.Event { return noticesWith(h, "Telegram chats") }

// More chats than the gateway lists (DialogLimit, lowered here to 5):
// the chat list holds the limit's newest, and the user is told, once a
// session, as a warning from the gateway, and the plugin's log says so.
// As many chats as the limit tell nothing. Before, the others were left
// out with no word.
func TestDialogLimitNotice(t *testing.T) {
	lowerDialogLimit(t, 5)
	srv := newFake(t) // group 77: alice's one dialog
	for i := range 4 {
		srv.AddChannel(tgfake.Channel{ID: int64(5000 + i), Title: fmt.Sprintf("Channel %d", i), Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	}
	s, h, info, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	chats, err := s.ChatList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(chats) != 5 {
		t.Fatalf("%d chats listed, want the 5", len(chats))
	}
	if evs := dialogNotices(h); len(evs) != 0 {
		t.Fatalf("as many chats as the limit: %v, want no notice", evs)
	}

	srv.AddChannel(tgfake.Channel{ID: 5100, Title: "One too many", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	chats, err = s.ChatList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(chats) != 5 {
		t.Errorf("%d chats listed, want the limit's 5", len(chats))
	}
	evs := dialogNotices(h)
	if len(evs) != 1 {
		t.Fatalf("one chat past the limit: notices %v, want one", evs)
	}
	ev := evs[0]
	if err := sdk.CheckEvent(ev); err != nil {
		t.Fatalf("the notice is not well formed: %v", err)
	}
	if nt := ev.GetNotice(); !strings.Contains(nt.Text, "only the first 5") || nt.Level != pb.NoticeLevel_NOTICE_LEVEL_WARNING || ev.LoginId != info.LoginID || ev.ChatId != "" || ev.EventId == "" {
		t.Errorf("notice %v", ev)
	}
	if !strings.Contains(h.logs.String(), "more chats than the gateway lists") {
		t.Errorf("the plugin's log does not say the chats were left out")
	}
	if _, err := s.ContactList(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	if evs := dialogNotices(h); len(evs) != 1 {
		t.Errorf("the lists read again: %d notices, want the one", len(evs))
	}
}

// A limit reached at a page's end (100, Telegram's page) with Telegram
// counting more dialogs is told too, the next page not asked.
func TestDialogLimitAtPageEnd(t *testing.T) {
	lowerDialogLimit(t, dialogPage)
	srv := newFake(t) // group 77
	for i := range dialogPage {
		srv.AddChannel(tgfake.Channel{ID: int64(5000 + i), Title: fmt.Sprintf("Channel %d", i), Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	}
	s, h, _, _ := connectAlice(t, srv)
	chats, err := s.ChatList(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(chats) != dialogPage {
		t.Errorf("%d chats listed, want %d", len(chats), dialogPage)
	}
	if evs := dialogNotices(h); len(evs) != 1 {
		t.Errorf("%d notices of the limit, want one", len(evs))
	}
}

// A forum with more topics than the chat list reads (TopicLimit,
// lowered here to 3, General among them) is told once a session, as a
// warning from the gateway naming the forum, and logged; one with as
// many tells nothing. Before, the others were left out with no word.
func TestForumTopicLimitNotice(t *testing.T) {
	old := topicLimit.Swap(3)
	t.Cleanup(func() { topicLimit.Store(old) }) // after the session's end: registered before it
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 800, Title: "Busy forum", Forum: true, Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	srv.AddChannel(tgfake.Channel{ID: 801, Title: "Quiet forum", Forum: true, Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	for i := range 3 {
		srv.CreateTopic(800, bob.ID, fmt.Sprintf("Topic %d", i))
	}
	for i := range 2 {
		srv.CreateTopic(801, bob.ID, fmt.Sprintf("Topic %d", i))
	}
	s, h, info, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	for range 2 {
		if _, err := s.ChatList(ctx); err != nil {
			t.Fatal(err)
		}
	}
	evs := noticesWith(h, "topics")
	if len(evs) != 1 {
		t.Fatalf("notices %v, want one, of the busy forum", evs)
	}
	ev := evs[0]
	if err := sdk.CheckEvent(ev); err != nil {
		t.Fatalf("the notice is not well formed: %v", err)
	}
	if nt := ev.GetNotice(); !strings.Contains(nt.Text, "«Busy forum» has 4 topics: only the 3") || nt.Level != pb.NoticeLevel_NOTICE_LEVEL_WARNING || ev.LoginId != info.LoginID || ev.EventId == "" {
		t.Errorf("notice %v", ev)
	}
	if !strings.Contains(h.logs.String(), "more forum topics than the gateway lists") {
		t.Errorf("the plugin's log does not say the topics were left out")
	}
}

// A supergroup with more members than its room lists (the MemberLimit
// most recent) is told once, as a warning from the gateway's own
// address under one event ID for the group, and the plugin's log says
// so; a group within the limit is not. Before, the others were left out
// with no word.
func TestMemberLimitNotice(t *testing.T) {
	srv := newFake(t)
	crowd := []int64{alice.ID, bob.ID}
	for i := range MemberLimit + 50 {
		crowd = append(crowd, int64(30000+i))
	}
	srv.AddChannel(tgfake.Channel{ID: 810, Title: "Crowd", Members: crowd, Creator: bob.ID})
	srv.AddChannel(tgfake.Channel{ID: 811, Title: "Few", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	s, h, info, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	for range 2 {
		for _, chat := range []string{"-100810", "-100811"} {
			c, err := s.ChatInfo(ctx, chat)
			if err != nil {
				t.Fatal(err)
			}
			if chat == "-100810" && len(c.Members) != MemberLimit { // the user among them (the fake's first)
				t.Errorf("%d members listed, want %d", len(c.Members), MemberLimit)
			}
		}
	}
	evs := noticesWith(h, "members")
	if len(evs) != 1 {
		t.Fatalf("notices %v, want one, of the crowded group", evs)
	}
	ev := evs[0]
	if err := sdk.CheckEvent(ev); err != nil {
		t.Fatalf("the notice is not well formed: %v", err)
	}
	want := fmt.Sprintf("«Crowd» has %d members: only the %d most recent", len(crowd), MemberLimit)
	if nt := ev.GetNotice(); !strings.Contains(nt.Text, want) || nt.Level != pb.NoticeLevel_NOTICE_LEVEL_WARNING || ev.LoginId != info.LoginID || ev.EventId == "" {
		t.Errorf("notice %v, want it to say %q", ev, want)
	}
	if !strings.Contains(h.logs.String(), "more members than the gateway lists") {
		t.Errorf("the plugin's log does not say the members were left out")
	}
}

// A supergroup's ban list is read past MemberLimit (up to BanLimit):
// someone banned after 1,000 others is an outcast of its room too.
// Before, it stopped at MemberLimit, and they were missing from the
// room's ban list.
func TestBanListPastThousand(t *testing.T) {
	srv := newFake(t)
	var banned []int64
	for i := range MemberLimit + 50 {
		banned = append(banned, int64(40000+i))
	}
	banned = append(banned, carol.ID)
	srv.AddChannel(tgfake.Channel{ID: 812, Title: "Strict", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID, Banned: banned})
	s, _, _, _ := connectAlice(t, srv)
	c, err := s.ChatInfo(ctxT(t), "-100812")
	if err != nil {
		t.Fatal(err)
	}
	outcasts := map[string]bool{}
	for _, m := range c.Members {
		if m.Affiliation == pb.Affiliation_AFFILIATION_OUTCAST {
			outcasts[m.UserId] = true
		}
	}
	if len(outcasts) != len(banned) || !outcasts["1003"] {
		t.Errorf("%d outcasts (carol among them: %v), want %d", len(outcasts), outcasts["1003"], len(banned))
	}
}

// A ban list longer than the gateway reads (BanLimit, lowered here to 5)
// stops there, and is told once a session, as a warning from the
// gateway naming the group, and logged: not again when the list is read
// anew (after the user's unban here), nor for a group within the limit.
// Before, it was read to its end however long, page after page each
// time the list kept ran out, with no word.
func TestBanLimitNotice(t *testing.T) {
	old := banLimit.Swap(5)
	t.Cleanup(func() { banLimit.Store(old) }) // after the session's end: registered before it
	srv := newFake(t)
	banned := []int64{carol.ID}
	for i := range 7 {
		banned = append(banned, int64(41000+i))
	}
	srv.AddChannel(tgfake.Channel{ID: 813, Title: "Very strict", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID, Banned: banned})
	srv.AddChannel(tgfake.Channel{ID: 814, Title: "Lenient", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID, Banned: banned[:5]})
	s, h, info, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	outcasts := func(chat string) int {
		t.Helper()
		c, err := s.ChatInfo(ctx, chat)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range c.Members {
			if m.Affiliation == pb.Affiliation_AFFILIATION_OUTCAST {
				n++
			}
		}
		return n
	}
	if n := outcasts("-100813"); n != 5 {
		t.Errorf("%d outcasts listed, want the limit, 5", n)
	}
	if n := outcasts("-100814"); n != 5 {
		t.Errorf("%d outcasts listed in the group within the limit, want its 5", n)
	}
	// The unban has the list read again: 7 bans left, still past the limit.
	if err := s.Unban(ctx, sdk.Call{ChatID: "-100813"}, "1003"); err != nil {
		t.Fatal(err)
	}
	if n := outcasts("-100813"); n != 5 {
		t.Errorf("%d outcasts listed after the unban, want the limit, 5", n)
	}
	evs := noticesWith(h, "banned")
	if len(evs) != 1 {
		t.Fatalf("notices %v, want one, of the very strict group", evs)
	}
	ev := evs[0]
	if err := sdk.CheckEvent(ev); err != nil {
		t.Fatalf("the notice is not well formed: %v", err)
	}
	if nt := ev.GetNotice(); !strings.Contains(nt.Text, "«Very strict» has banned 8 people: only 5") || nt.Level != pb.NoticeLevel_NOTICE_LEVEL_WARNING || ev.LoginId != info.LoginID || ev.EventId == "" {
		t.Errorf("notice %v", ev)
	}
	if !strings.Contains(h.logs.String(), "more bans than the gateway lists") {
		t.Errorf("the plugin's log does not say the bans were left out")
	}
}
