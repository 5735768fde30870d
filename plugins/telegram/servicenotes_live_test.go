package telegram

import (
	"testing"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// On the fake Telegram: service messages Telegram's apps show as a line
// in the chat come as messages from whoever made them: a live location's
// proximity alert, a game's score and a service message's own text in a
// private chat; a group call scheduled, people invited to one, boosts, a
// giveaway and a payment in the group. They were dropped.
func TestServiceNoticesLive(t *testing.T) {
	srv := newFake(t)
	_, h, _, _ := connectAlice(t, srv)
	at := time.Date(2026, 12, 24, 18, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		group bool
		a     tg.MessageActionClass
		want  string
	}{
		{false, &tg.MessageActionGeoProximityReached{FromID: &tg.PeerUser{UserID: bob.ID}, ToID: &tg.PeerUser{UserID: alice.ID}, Distance: 150}, "Bob is now within 150 m of you"},
		{false, &tg.MessageActionGameScore{GameID: 5, Score: 120}, "Scored 120 in the game"},
		{false, &tg.MessageActionCustomAction{Message: "Bob shared his screen"}, "Bob shared his screen"},
		{false, &tg.MessageActionPaymentSent{Currency: "EUR", TotalAmount: 500}, "Payment\n(see it in Telegram)"},
		{true, &tg.MessageActionGroupCallScheduled{Call: &tg.InputGroupCall{ID: 1, AccessHash: 2}, ScheduleDate: int(at.Unix())}, "Group call scheduled for 24 Dec 2026 18:30 UTC"},
		{true, &tg.MessageActionInviteToGroupCall{Call: &tg.InputGroupCall{ID: 1, AccessHash: 2}, Users: []int64{alice.ID, carol.ID}}, "Invited you, Carol to the group call"},
		{true, &tg.MessageActionBoostApply{Boosts: 3}, "Boosted the group 3 times"},
		{true, &tg.MessageActionGiveawayLaunch{}, "⚠ A giveaway the gateway cannot show: see it in Telegram."},
	} {
		from, chat := h.count(), "1002"
		if c.group {
			chat = "-77"
			srv.PostGroupService(77, bob.ID, c.a)
		} else {
			srv.PostService(bob.ID, alice.ID, c.a)
		}
		ev := h.wait(t, from, c.want, func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.ChatId == chat })
		if got := ev.GetMessage().Text; got != c.want || ev.Sender.GetUserId() != "1002" {
			t.Errorf("%T: %q from %s, want %q from bob", c.a, got, ev.Sender.GetUserId(), c.want)
		}
	}
}
