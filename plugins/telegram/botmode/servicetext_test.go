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

// A group renamed or given a new picture, and a forum topic renamed,
// come as a line from whoever did it, as in user-account mode
// (TestGroupChangeNotices), beside the room's change; in a channel, from
// the channel, whose name the line says. Only the room changed before,
// with no word of who changed it.
func TestGroupChangeNoticesBot(t *testing.T) {
	group := fmt.Sprintf(`"chat":{"id":%d,"type":"supergroup","title":"Forum","is_forum":true},"from":{"id":600,"is_bot":false,"first_name":"Owner"}`, groupID)
	channel := `"chat":{"id":-1009,"type":"channel","title":"News"},"sender_chat":{"id":-1009,"type":"channel","title":"News"}`
	photo := `[{"file_id":"p1","file_unique_id":"u1","width":160,"height":160}]`
	cases := []struct{ chat, extra, room, from, want string }{
		{group, `"new_chat_title":"Plans & more"`, fmt.Sprint(groupID), "600", "Changed the group name to «Plans & more»"},
		{group, `"new_chat_photo":` + photo, fmt.Sprint(groupID), "600", "Changed the group photo"},
		{group, `"delete_chat_photo":true`, fmt.Sprint(groupID), "600", "Removed the group photo"},
		{group, `"message_thread_id":20,"is_topic_message":true,"forum_topic_edited":{"name":"Ideas"}`, fmt.Sprint(groupID) + "_20", "600", "Renamed the topic to «Ideas»"},
		{channel, `"new_chat_title":"Daily News"`, "-1009", "-1009", "Changed the channel name to «Daily News»"},
	}
	api := newFakeAPI(t)
	for i, tc := range cases {
		api.push(fmt.Sprintf(`{"message":{"message_id":%d,"date":1700000000,%s,%s}}`, 60+i, tc.chat, tc.extra))
	}
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	for i, tc := range cases {
		id := fmt.Sprint(60 + i)
		ev := h.waitEvent(t, 0, "message "+id, func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.EventId == id })
		if got := ev.GetMessage().Text; got != tc.want || ev.Sender.GetUserId() != tc.from || ev.ChatId != tc.room {
			t.Errorf("%s: %q from %s in %s, want %q from %s in %s", tc.extra, got, ev.Sender.GetUserId(), ev.ChatId, tc.want, tc.from, tc.room)
		}
	}
}
