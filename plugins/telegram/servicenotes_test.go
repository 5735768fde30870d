package telegram

import (
	"context"
	"strconv"
	"testing"

	"github.com/gotd/td/tg"
)

// A contact who joined Telegram, a screenshot taken of a private chat
// and a gift come as a line from whoever made them, live and in the
// history, by the message's ID; they were dropped.
func TestServiceNotices(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, nil)
	ctx := context.Background()
	for _, c := range []struct {
		id   int
		out  bool
		a    tg.MessageActionClass
		want string
		from string
	}{
		{20, false, &tg.MessageActionContactSignUp{}, "Joined Telegram", "1002"},
		{21, false, &tg.MessageActionScreenshotTaken{}, "Took a screenshot of this chat", "1002"},
		{22, true, &tg.MessageActionScreenshotTaken{}, "You took a screenshot of this chat", "1001"},
		{23, false, &tg.MessageActionGiftPremium{Currency: "EUR", Amount: 399, Days: 90}, "🎁 A gift the gateway cannot show: see it in Telegram.", "1002"},
		{24, false, &tg.MessageActionStarGift{}, "🎁 A gift the gateway cannot show: see it in Telegram.", "1002"},
	} {
		m := &tg.MessageService{ID: c.id, Out: c.out, PeerID: &tg.PeerUser{UserID: 1002}, Date: 1700000100, Action: c.a}
		for _, history := range []bool{false, true} {
			ev, text := onlyMessage(t, c.want, s.messageEvents(ctx, m, history))
			if text != c.want || ev.ChatId != "1002" || ev.Sender.UserId != c.from || ev.Sender.IsFromMe != c.out ||
				ev.EventId != strconv.Itoa(c.id) {
				t.Errorf("%T (history %v): %v, want %q from %s", c.a, history, ev, c.want, c.from)
			}
		}
	}
	// A supergroup's owner left: who becomes its owner in 7 days, from the
	// owner (messageActionNewCreatorPending); it was dropped.
	for _, c := range []struct {
		to   int64
		want string
	}{
		{1002, "Bob becomes the group's owner in 7 days, unless its owner comes back"},
		{1001, "You become the group's owner in 7 days, unless its owner comes back"},
	} {
		m := &tg.MessageService{ID: 30, PeerID: &tg.PeerChannel{ChannelID: 900}, FromID: &tg.PeerUser{UserID: 1003}, Date: 1700000100,
			Action: &tg.MessageActionNewCreatorPending{NewCreatorID: c.to}}
		if ev, text := onlyMessage(t, c.want, s.messageEvents(ctx, m, true)); text != c.want || ev.ChatId != "-100900" || ev.Sender.UserId != "1003" {
			t.Errorf("ownership pending to %d: %v, want %q from 1003", c.to, ev, c.want)
		}
	}
}
