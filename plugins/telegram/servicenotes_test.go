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
}
