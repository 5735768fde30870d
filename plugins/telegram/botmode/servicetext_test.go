package botmode_test

import (
	"fmt"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Service messages user-account mode shows as a line from whoever made
// them come so in bot mode too, in the same words (TestServiceNoticesLive,
// TestCallNotices): a change of the auto-delete timer, a live location's
// proximity alert (the bot as "you"), boosts, a giveaway, a gift, a
// payment. They were dropped (the timer change said so in the README).
func TestServiceNoticesBot(t *testing.T) {
	cases := []struct{ extra, want string }{
		{`,"message_auto_delete_timer_changed":{"message_auto_delete_time":86400}`,
			"Disappearing messages turned on: messages disappear 1 day after they are sent"},
		{`,"message_auto_delete_timer_changed":{"message_auto_delete_time":0}`, "Disappearing messages turned off"},
		{fmt.Sprintf(`,"proximity_alert_triggered":{"traveler":{"id":%d,"is_bot":false,"first_name":"Alice"},"watcher":{"id":%d,"is_bot":true,"first_name":"Passerelle Test"},"distance":1500}`, alice, testBotID),
			"Alice is now within 1.5 km of you"},
		{`,"boost_added":{"boost_count":1}`, "Boosted the group"},
		{`,"giveaway_created":{}`, "⚠ A giveaway the gateway cannot show: see it in Telegram."},
		{`,"gift":{"gift":{"id":"g1","sticker":{"file_id":"s","file_unique_id":"s","type":"regular","width":1,"height":1,"is_animated":false,"is_video":false},"star_count":50}}`,
			"🎁 A gift the gateway cannot show: see it in Telegram."},
		{`,"successful_payment":{"currency":"EUR","total_amount":250,"invoice_payload":"tea","telegram_payment_charge_id":"c","provider_payment_charge_id":"p"}`,
			"Payment\n(see it in Telegram)"},
	}
	api := newFakeAPI(t)
	for i, tc := range cases {
		api.push(privateMsg(60+i, "", tc.extra))
	}
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	for i, tc := range cases {
		id := fmt.Sprint(60 + i)
		ev := h.waitEvent(t, 0, "message "+id, func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.EventId == id })
		if got := ev.GetMessage().Text; got != tc.want || ev.Sender.GetUserId() != fmt.Sprint(alice) {
			t.Errorf("%s: %q from %s, want %q from alice", tc.extra, got, ev.Sender.GetUserId(), tc.want)
		}
	}
}
