package botmode_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The user closes a poll the bot started (stopPoll): the poll's message
// is corrected once, as the user's, to the closed poll with its results,
// though the poll update Telegram sends after stopPoll says it again.
// Closing it again is no error, asks Telegram nothing and corrects
// nothing; a poll Telegram says is closed already (closed unseen) is no
// error. Another person's poll is NOT_ALLOWED and a message that is no
// poll the session knows NOT_FOUND, stopPoll not called. The login's
// features say poll_close.
func TestClosePollBot(t *testing.T) {
	api := newFakeAPI(t)
	api.push(privateMsg(60, "", `,"poll":`+lunchPoll("p60", 0, 0, false)))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	ctx := context.Background()
	theirs := h.waitEvent(t, 0, "alice's poll", func(ev *pb.Event) bool { return ev.EventId == "60" && ev.GetMessage() != nil })
	conn := h.waitEvent(t, 0, "CONNECTED", isState(pb.LoginState_LOGIN_STATE_CONNECTED))
	if !conn.GetLoginState().GetFeatures().GetPollClose() {
		t.Error("the bot login's features leave poll_close out")
	}
	if f, _ := sdk.Features(s, nil); !f.PollClose {
		t.Error("poll_close is not advertised")
	}
	c := sdk.Call{ChatID: fmt.Sprint(alice)}
	res, err := s.StartPoll(ctx, c, &pb.Poll{Question: "Lunch?", Options: []string{"Pizza", "Sushi"}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	// barrier has alice write, and waits for it: what Telegram sent the
	// bot before has come by then.
	barrier := func() {
		t.Helper()
		n++
		text := fmt.Sprint("barrier ", n)
		api.push(privateMsg(100+n, text, ""))
		h.waitFor(t, 0, text, isText(text))
	}
	corrections := func(from int) []*pb.Event {
		var out []*pb.Event
		for _, ev := range h.events()[from:] {
			if ev.GetEdit().GetTargetId() == res.MessageID {
				out = append(out, ev)
			}
		}
		return out
	}

	from := len(h.events())
	if err := s.ClosePoll(ctx, c, &pb.ClosePoll{TargetId: res.MessageID}); err != nil {
		t.Fatalf("closing the bot's poll: %v", err)
	}
	if calls := api.callsOf("stopPoll"); len(calls) != 1 || calls[0].Params["chat_id"] != fmt.Sprint(alice) || calls[0].Params["message_id"] != res.MessageID {
		t.Errorf("stopPoll calls %v, want one of message %s", calls, res.MessageID)
	}
	barrier()
	got := corrections(from)
	if len(got) != 1 {
		t.Fatalf("%d corrections of the poll, want 1: %v", len(got), got)
	}
	if ev := got[0]; ev.GetEdit().Text != "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 0 votes\n(closed)" ||
		!ev.Sender.GetIsFromMe() || ev.ChatId != fmt.Sprint(alice) || ev.LoginId == "" {
		t.Errorf("the closing's correction %v, want the user's with the closed poll", ev)
	}

	// Again: nothing asked, nothing corrected.
	from = len(h.events())
	if err := s.ClosePoll(ctx, c, &pb.ClosePoll{TargetId: res.MessageID}); err != nil {
		t.Errorf("closing a closed poll: %v", err)
	}
	barrier()
	if n := len(api.callsOf("stopPoll")); n != 1 {
		t.Errorf("closing a closed poll called stopPoll (%d calls)", n)
	}
	if got := corrections(from); len(got) != 0 {
		t.Errorf("closing a closed poll corrected it: %v", got)
	}

	// Closed unseen: Telegram's refusal is the poll closed, no error.
	res2, err := s.StartPoll(ctx, c, &pb.Poll{Question: "Tea?", Options: []string{"Yes", "No"}})
	if err != nil {
		t.Fatal(err)
	}
	api.setRefuse("stopPoll", "400", "Bad Request: poll has already been closed")
	if err := s.ClosePoll(ctx, c, &pb.ClosePoll{TargetId: res2.MessageID}); err != nil {
		t.Errorf("closing a poll closed unseen: %v", err)
	}
	api.setRefuse("stopPoll", "", "")

	// Not the bot's poll, no poll: refused, stopPoll not called.
	calls := len(api.callsOf("stopPoll"))
	err = s.ClosePoll(ctx, c, &pb.ClosePoll{TargetId: theirs.EventId})
	if code := errCode(err); code != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(err.Error(), "only the polls it sent") {
		t.Errorf("closing alice's poll: %v, want NOT_ALLOWED", err)
	}
	for _, target := range []string{"101", "x"} {
		if err := s.ClosePoll(ctx, c, &pb.ClosePoll{TargetId: target}); errCode(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
			t.Errorf("closing message %s: %v, want NOT_FOUND", target, err)
		}
	}
	if n := len(api.callsOf("stopPoll")); n != calls {
		t.Errorf("refused closings called stopPoll %d times", n-calls)
	}
}

// ChatInfo says getChat's timer (message_auto_delete_time; none is off)
// and latest pin (pinned_message), of a person's chat too; a forum
// topic's room the pin only when in that topic. getChat is asked once
// for several ChatInfo, again after a pin the bot sees or makes; a
// getChat that fails leaves the timer not known.
func TestChatInfoTimerPinBot(t *testing.T) {
	api := newFakeAPI(t)
	api.chatJS[fmt.Sprint(alice)] = fmt.Sprintf(`{"id":%d,"type":"private","first_name":"Alice","message_auto_delete_time":86400,
		"pinned_message":{"message_id":7,"date":1700000000,"chat":{"id":%d,"type":"private","first_name":"Alice"},"text":"pinned"}}`, alice, alice)
	api.chatJS[fmt.Sprint(groupID)] = fmt.Sprintf(`{"id":%d,"type":"supergroup","title":"Test group"}`, groupID)
	api.push(privateMsg(60, "hello", ""))
	api.push(groupMsg(61, 600, "Owner", "hi all"))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	h.waitFor(t, 0, "alice's message", isText("hello"))
	h.waitFor(t, 0, "the group's message", isText("hi all"))
	ctx := context.Background()
	info := func(chat string) *pb.Chat {
		t.Helper()
		c, err := s.ChatInfo(ctx, chat)
		if err != nil {
			t.Fatalf("ChatInfo %s: %v", chat, err)
		}
		return c
	}
	gets := func(chat string) int {
		n := 0
		for _, c := range api.callsOf("getChat") {
			if c.Params["chat_id"] == chat {
				n++
			}
		}
		return n
	}
	c := info(fmt.Sprint(alice))
	if c.Type != pb.ChatType_CHAT_TYPE_DIRECT || c.Timer.GetSeconds() != 86400 || c.Timer == nil || !slices.Equal(c.PinnedIds, []string{"7"}) {
		t.Errorf("alice's chat: %v; want its timer a day, message 7 pinned", c)
	}
	g := fmt.Sprint(groupID)
	for range 2 {
		if c := info(g); c.Timer == nil || c.Timer.Seconds != 0 || len(c.PinnedIds) != 0 {
			t.Errorf("the group: timer %v, pins %v; want the timer off, no pin", c.Timer, c.PinnedIds)
		}
	}
	before := gets(g)
	if before > 1 {
		t.Errorf("getChat asked %d times for the group, want once", before)
	}
	// A pin seen: asked again.
	api.chatJS[g] = fmt.Sprintf(`{"id":%d,"type":"supergroup","title":"Test group","message_auto_delete_time":604800,
		"pinned_message":{"message_id":61,"date":1700000100,"chat":{"id":%d,"type":"supergroup","title":"Test group"},"text":"hi all"}}`, groupID, groupID)
	api.push(fmt.Sprintf(`{"message":{"message_id":62,"date":1700000200,"chat":{"id":%d,"type":"supergroup","title":"Test group"},
		"from":{"id":600,"is_bot":false,"first_name":"Owner"},"pinned_message":{"message_id":61,"date":1700000100,"chat":{"id":%d,"type":"supergroup","title":"Test group"},"text":"hi all"}}}`, groupID, groupID))
	h.waitFor(t, 0, "the pin's notice", func(ev *pb.Event) bool { return ev.EventId == "62" })
	if c := info(g); c.Timer.GetSeconds() != 604800 || !slices.Equal(c.PinnedIds, []string{"61"}) {
		t.Errorf("the group after a pin: timer %v, pins %v; want a week, message 61", c.Timer, c.PinnedIds)
	}
	// The bot's own unpin: asked again.
	api.chatJS[g] = fmt.Sprintf(`{"id":%d,"type":"supergroup","title":"Test group"}`, groupID)
	if err := s.Pin(ctx, sdk.Call{ChatID: g}, &pb.Pin{TargetId: "61", Unpin: true}); err != nil {
		t.Fatal(err)
	}
	if c := info(g); len(c.PinnedIds) != 0 {
		t.Errorf("the group after the bot's unpin: pins %v, want none", c.PinnedIds)
	}
	// getChat failing: the timer not known.
	delete(api.chatJS, fmt.Sprint(alice))
	api.push(privateMsg(63, "", `,"pinned_message":{"message_id":60,"date":1700000000,"chat":{"id":501,"type":"private","first_name":"Alice"},"text":"hello"}`))
	h.waitFor(t, 0, "alice's pin", func(ev *pb.Event) bool { return ev.EventId == "63" })
	if c := info(fmt.Sprint(alice)); c.Timer != nil || len(c.PinnedIds) != 0 {
		t.Errorf("alice's chat, getChat failing: timer %v, pins %v; want neither known", c.Timer, c.PinnedIds)
	}
}
