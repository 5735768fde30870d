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
		// Dropped before: a contact's suggestion of a profile photo for
		// the user, and the user's own from another device.
		{25, false, &tg.MessageActionSuggestProfilePhoto{Photo: &tg.PhotoEmpty{}}, "Suggested a profile photo for you: see it in Telegram", "1002"},
		{26, true, &tg.MessageActionSuggestProfilePhoto{Photo: &tg.PhotoEmpty{}}, "You suggested a profile photo: see it in Telegram", "1001"},
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
	// A group's price of a message (paid messages) set or taken off; the
	// user's next send would be refused for it (ALLOW_PAYMENT_REQUIRED).
	// It was dropped.
	for i, c := range []struct {
		stars int64
		want  string
	}{{10, "Messages here now cost 10 Stars each"}, {0, "Messages here are free again"}} {
		m := &tg.MessageService{ID: 35 + i, PeerID: &tg.PeerChannel{ChannelID: 900}, FromID: &tg.PeerUser{UserID: 1003}, Date: 1700000100,
			Action: &tg.MessageActionPaidMessagesPrice{Stars: c.stars}}
		if ev, text := onlyMessage(t, c.want, s.messageEvents(ctx, m, false)); text != c.want || ev.ChatId != "-100900" {
			t.Errorf("price %d: %v, want %q", c.stars, ev, c.want)
		}
	}
	// A supergroup's owner left: who becomes its owner in 7 days, from the
	// owner (messageActionNewCreatorPending); it was dropped. Who is the
	// user goes by the user's ID: a contact named "you" read as the user
	// ("You become the group's owner").
	s.peers.add([]tg.UserClass{&tg.User{ID: 1004, AccessHash: 4, FirstName: "you"}}, nil)
	for _, c := range []struct {
		to      int64
		pending bool
		want    string
	}{
		{1002, true, "Bob becomes the group's owner in 7 days, unless its owner comes back"},
		{1001, true, "You become the group's owner in 7 days, unless its owner comes back"},
		{1004, true, "you becomes the group's owner in 7 days, unless its owner comes back"},
		{1004, false, "you is now the group's owner"},
		{1001, false, "You are now the group's owner"},
	} {
		var a tg.MessageActionClass = &tg.MessageActionChangeCreator{NewCreatorID: c.to}
		if c.pending {
			a = &tg.MessageActionNewCreatorPending{NewCreatorID: c.to}
		}
		m := &tg.MessageService{ID: 30, PeerID: &tg.PeerChannel{ChannelID: 900}, FromID: &tg.PeerUser{UserID: 1003}, Date: 1700000100, Action: a}
		if ev, text := onlyMessage(t, c.want, s.messageEvents(ctx, m, true)); text != c.want || ev.ChatId != "-100900" || ev.Sender.UserId != "1003" {
			t.Errorf("ownership (pending %v) to %d: %v, want %q from 1003", c.pending, c.to, ev, c.want)
		}
	}
	// A proximity alert of a contact named "you" coming near the user:
	// the contact is named, not read as the user ("You are now within").
	m := &tg.MessageService{ID: 31, PeerID: &tg.PeerUser{UserID: 1004}, FromID: &tg.PeerUser{UserID: 1004}, Date: 1700000100,
		Action: &tg.MessageActionGeoProximityReached{FromID: &tg.PeerUser{UserID: 1004}, ToID: &tg.PeerUser{UserID: 1001}, Distance: 150}}
	want := "you is now within 150 m of you"
	if _, text := onlyMessage(t, want, s.messageEvents(ctx, m, false)); text != want {
		t.Errorf("proximity of a contact named \"you\": %q, want %q", text, want)
	}
}
