package telegram

import (
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/botmode"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// timerNotices are the timer notices of chat after the first from
// events: messages saying the disappearing messages changed.
func (h *testHost) timerNotices(from int, chat string) []*pb.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*pb.Event
	for _, ev := range h.events[min(from, len(h.events)):] {
		if ev.ChatId == chat && strings.HasPrefix(ev.GetMessage().GetText(), "Disappearing messages turned") {
			out = append(out, ev)
		}
	}
	return out
}

// The user sets a chat's auto-delete timer from XMPP
// (sdk.ChatTimerSetter, messages.setHistoryTTL): in a private chat, a
// basic group and a supergroup the chat's timer on Telegram becomes it,
// its notice comes once, from the user, though Telegram's service
// message comes both in the answer and through the update stream, and
// the user's next send expires that long after it; 0 turns it off, and
// off again is no error. A length Telegram refuses (TTL_PERIOD_INVALID)
// is BAD_REQUEST naming those it takes; a group where only admins may
// change it (CHAT_ADMIN_REQUIRED) is NOT_ALLOWED; a forum's topic is
// refused before Telegram.
func TestSetChatTimer(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 740, Title: "Mine", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID})
	srv.AddChannel(tgfake.Channel{ID: 710, Title: "Strict", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID, AdminsChangeInfo: true})
	srv.AddGroup(tgfake.Group{ID: 730, Title: "Strict too", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID, AdminsChangeInfo: true})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil { // the channels' access hashes
		t.Fatal(err)
	}
	const day, week = 24 * time.Hour, 7 * 24 * time.Hour
	n := 0
	// set sets chat's timer to ttl and checks it is the chat's on
	// Telegram, told once by its notice, from the user, and carried by
	// the user's next send; then by a message from bob, after which a
	// second notice would have come.
	set := func(chat string, peer tg.PeerClass, ttl time.Duration, want string) {
		t.Helper()
		from := h.count()
		if err := s.SetChatTimer(ctx, sdk.Call{ChatID: chat}, ttl); err != nil {
			t.Fatalf("%s, timer %v: %v", chat, ttl, err)
		}
		if got := srv.TTL(alice.ID, peer); got != int(ttl/time.Second) {
			t.Errorf("%s, timer %v: Telegram's is %d s", chat, ttl, got)
		}
		ev := h.wait(t, from, "the timer's notice in "+chat, isMessage(chat, want))
		if !ev.GetSender().GetIsFromMe() {
			t.Errorf("%s, timer %v: the notice is not from the user: %v", chat, ttl, ev)
		}
		n++
		res, err := s.SendMessage(ctx, sdk.Call{ChatID: chat, TxnID: "timer" + string(rune('a'+n))}, &pb.SendMessage{Text: "after the timer"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Time.IsZero() || ttl > 0 && !res.Expires.Equal(res.Time.Add(ttl)) || ttl == 0 && !res.Expires.IsZero() {
			t.Errorf("%s, timer %v: the next send sent %v, expires %v", chat, ttl, res.Time, res.Expires)
		}
		text := "bob after " + ttl.String()
		var bobTo tg.PeerClass = peer
		if _, ok := peer.(*tg.PeerUser); ok {
			bobTo = &tg.PeerUser{UserID: alice.ID}
		}
		srv.Send(bob.ID, bobTo, text)
		expiresIn(t, chat+": bob's next message", h.wait(t, from, "bob's message in "+chat, isMessage(chat, text)), ttl)
		if got := h.timerNotices(from, chat); len(got) != 1 {
			t.Errorf("%s, timer %v: %d notices, want 1: %v", chat, ttl, len(got), got)
		}
	}

	bobChat := &tg.PeerUser{UserID: bob.ID}
	set("1002", bobChat, week, "Disappearing messages turned on: messages disappear 1 week after")
	set("1002", bobChat, 0, "Disappearing messages turned off")
	if err := s.SetChatTimer(ctx, sdk.Call{ChatID: "1002"}, 0); err != nil {
		t.Errorf("off when off already (CHAT_NOT_MODIFIED): %v; want done", err)
	}
	set("-77", &tg.PeerChat{ChatID: 77}, day, "Disappearing messages turned on: messages disappear 1 day after")
	set("-100740", &tg.PeerChannel{ChannelID: 740}, 30*day, "Disappearing messages turned on: messages disappear 30 days after")

	// Lengths Telegram refuses: Telegram's answer, in words.
	asked := srv.Requests("messages.setHistoryTTL")
	for _, ttl := range []time.Duration{2 * time.Hour, 36 * time.Hour, 366 * day} {
		err := s.SetChatTimer(ctx, sdk.Call{ChatID: "1002"}, ttl)
		wantCode(t, "timer "+ttl.String(), err, pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whole days up to a year", "1 week", "TTL_PERIOD_INVALID")
	}
	if got := srv.Requests("messages.setHistoryTTL") - asked; got != 3 {
		t.Errorf("%d of the 3 refused lengths were Telegram's to refuse", got)
	}
	if got := srv.TTL(alice.ID, bobChat); got != 0 {
		t.Errorf("after refused lengths the private chat's timer is %d s", got)
	}

	// Where only admins may: refused, with Telegram's reason.
	for chat, peer := range map[string]tg.PeerClass{"-100710": &tg.PeerChannel{ChannelID: 710}, "-730": &tg.PeerChat{ChatID: 730}} {
		err := s.SetChatTimer(ctx, sdk.Call{ChatID: chat}, day)
		wantCode(t, chat+", a member who is no admin", err, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "admins", "CHAT_ADMIN_REQUIRED")
		if got := srv.TTL(alice.ID, peer); got != 0 {
			t.Errorf("%s: a refused timer reached the group: %d s", chat, got)
		}
	}

	// A forum's topic: the timer is the forum's, set in its room.
	asked = srv.Requests("messages.setHistoryTTL")
	wantCode(t, "a topic", s.SetChatTimer(ctx, sdk.Call{ChatID: "-100740_5"}, day), pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "-100740")
	if srv.Requests("messages.setHistoryTTL") != asked {
		t.Error("a topic's timer reached Telegram")
	}
	if f, _ := sdk.Features(s, nil); !f.ChatTimer {
		t.Error("chat_timer is not advertised")
	}
}

// A bot cannot set a chat's timer (the Bot API has no method for it):
// bot mode's session is no ChatTimerSetter, its chats leave chat_timer
// out, and the shared session refuses it as UNSUPPORTED, asking
// Telegram nothing.
func TestSetChatTimerBot(t *testing.T) {
	srv := newFake(t)
	n, _ := newNetwork(t, srv)
	ctx := ctxT(t)
	s, err := n.LoadLogin(ctx, sdk.LoginInfo{LoginID: botmode.LoginIDFor(42), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	err = s.SetChatTimer(ctx, sdk.Call{ChatID: "1002"}, 24*time.Hour)
	wantCode(t, "a bot's timer", err, pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "a bot cannot set")
	if _, ok := any(s.bot).(sdk.ChatTimerSetter); ok {
		t.Error("bot mode's session is a ChatTimerSetter")
	}
	if l, err := s.ChatLimits(ctx, "-100740"); err != nil || l.Features == nil || l.Features.ChatTimer {
		t.Errorf("a bot's chat limits: %+v, %v; want chat_timer left out", l, err)
	}
	if srv.Requests("messages.setHistoryTTL") != 0 {
		t.Error("a bot login asked Telegram to set a timer")
	}
}
