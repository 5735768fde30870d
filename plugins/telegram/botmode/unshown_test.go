package botmode_test

import (
	"fmt"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Messages of kinds bot mode has no words for come as a notice that the
// gateway cannot show them, from their sender: a checklist's tasks done,
// a bot allowed to write, and a video chat started, a field
// go-telegram/bot's Message leaves out (it reads voice_chat_started, the
// Bot API's old name). They were dropped with no word. A chat background
// set, which changes nothing read in the chat, is still dropped.
func TestUnshownNoticesBot(t *testing.T) {
	const notice = "⚠ A notice the gateway cannot show: see it in Telegram."
	cases := []string{
		`,"checklist_tasks_done":{"marked_as_done_task_ids":[1]}`,
		`,"write_access_allowed":{"from_request":true}`,
		`,"video_chat_started":{}`,
	}
	api := newFakeAPI(t)
	for i, extra := range cases {
		api.push(privateMsg(80+i, "", extra))
	}
	api.push(privateMsg(90, "", `,"chat_background_set":{"type":{"type":"chat_theme","theme_name":"🌸"}}`))
	api.push(privateMsg(91, "after the background", ""))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	for i, extra := range cases {
		id := fmt.Sprint(80 + i)
		ev := h.waitEvent(t, 0, "message "+id, func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.EventId == id })
		if got := ev.GetMessage().Text; got != notice || ev.Sender.GetUserId() != fmt.Sprint(alice) {
			t.Errorf("%s: %q from %s, want %q from alice", extra, got, ev.Sender.GetUserId(), notice)
		}
	}
	h.waitEvent(t, 0, "message 91", func(ev *pb.Event) bool { return ev.EventId == "91" })
	for _, ev := range h.events() {
		if ev.EventId == "90" {
			t.Errorf("a background set: %v, want nothing", ev)
		}
	}
}
