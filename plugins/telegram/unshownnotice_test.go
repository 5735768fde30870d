package telegram

import (
	"context"
	"strconv"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
)

const unshownNotice = "⚠ A notice the gateway cannot show: see it in Telegram."

// Service messages of kinds the plugin had no line for (a checklist's
// tasks ticked, content protection turned on, a bot allowed to write, a
// birthday suggested) come as a line from whoever made them, on the fake
// Telegram, the user's own from another device as theirs; they were
// dropped with no word. A theme set, which changes nothing read in the
// chat, is still dropped.
func TestUnshownNoticesLive(t *testing.T) {
	srv := newFake(t)
	_, h, _, _ := connectAlice(t, srv)
	for _, c := range []struct {
		group bool
		from  int64
		a     tg.MessageActionClass
		want  string
	}{
		{false, bob.ID, &tg.MessageActionTodoCompletions{Completed: []int{1}}, unshownNotice},
		{false, alice.ID, &tg.MessageActionNoForwardsToggle{NewValue: true}, "You turned on content protection: messages here cannot be forwarded or saved"},
		{false, bob.ID, &tg.MessageActionNoForwardsToggle{PrevValue: true}, "Turned off content protection: messages here can be forwarded and saved"},
		{false, bob.ID, &tg.MessageActionBotAllowed{Domain: "example.org"}, "You allowed this bot to message you when you logged in on example.org"},
		{true, bob.ID, &tg.MessageActionSuggestBirthday{Birthday: tg.Birthday{Day: 1, Month: 2}}, unshownNotice},
	} {
		from, chat := h.count(), "1002"
		if c.group {
			chat = "-77"
			srv.PostGroupService(77, c.from, c.a)
		} else if c.from == alice.ID {
			srv.PostService(alice.ID, bob.ID, c.a)
		} else {
			srv.PostService(bob.ID, alice.ID, c.a)
		}
		ev := h.wait(t, from, c.want, func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.ChatId == chat })
		wantFrom := strconv.FormatInt(c.from, 10)
		if got := ev.GetMessage().Text; got != c.want || ev.Sender.GetUserId() != wantFrom || ev.Sender.GetIsFromMe() != (c.from == alice.ID) {
			t.Errorf("%T: %q from %s, want %q from %s", c.a, got, ev.Sender.GetUserId(), c.want, wantFrom)
		}
	}

	from := h.count()
	theme := srv.PostService(bob.ID, alice.ID, &tg.MessageActionSetChatTheme{Theme: &tg.ChatTheme{Emoticon: "🌸"}})
	srv.PostService(bob.ID, alice.ID, &tg.MessageActionScreenshotTaken{})
	h.wait(t, from, "the screenshot's line", func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "Took a screenshot of this chat" })
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.events[from:] {
		if ev.EventId == strconv.Itoa(theme) {
			t.Errorf("a theme set: %v, want nothing", ev)
		}
	}
}

// The same line in the history, under the message's ID.
func TestUnshownNoticeHistory(t *testing.T) {
	s, _ := unitSession(t)
	m := &tg.MessageService{ID: 40, PeerID: &tg.PeerUser{UserID: 1002}, Date: 1700000100, Action: &tg.MessageActionTodoAppendTasks{}}
	ev, text := onlyMessage(t, unshownNotice, s.messageEvents(context.Background(), m, true))
	if text != unshownNotice || ev.ChatId != "1002" || ev.EventId != "40" {
		t.Errorf("history: %v, want %q", ev, unshownNotice)
	}
	for _, a := range []tg.MessageActionClass{&tg.MessageActionHistoryClear{}, &tg.MessageActionSetChatWallPaper{Wallpaper: &tg.WallPaperNoFile{}}, &tg.MessageActionEmpty{}} {
		m := &tg.MessageService{ID: 41, PeerID: &tg.PeerUser{UserID: 1002}, Date: 1700000100, Action: a}
		if evs := s.messageEvents(context.Background(), m, true); len(evs) != 0 {
			t.Errorf("%T: %v, want nothing", a, evs)
		}
	}
}
