package botmode_test

import (
	"fmt"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Messages answering a story (the Bot API's reply_to_story, which
// go-telegram/bot misreads as reply_to_store) start with a line saying
// whose story they answer, the text's formatting kept after it, as in
// user-account mode (TestStoryReply): Carol's story, the bot's own; a
// correction keeps the line. They came as their text alone.
func TestStoryReplyBot(t *testing.T) {
	api := newFakeAPI(t)
	carolStory := `,"reply_to_story":{"chat":{"id":503,"type":"private","first_name":"Carol"},"id":7}`
	api.push(privateMsg(60, "nice view!", carolStory+`,"entities":[{"type":"bold","offset":0,"length":4}]`))
	api.push(privateMsg(61, "thanks", fmt.Sprintf(`,"reply_to_story":{"chat":{"id":%d,"type":"private","first_name":"Passerelle Test"},"id":2}`, testBotID)))
	api.push(fmt.Sprintf(`{"edited_message":{"message_id":60,"date":1700000000,"edit_date":1700000060,
		"chat":{"id":%d,"type":"private","first_name":"Alice","username":"alice"},"from":{"id":%d,"is_bot":false,"first_name":"Alice"},
		"text":"nice view, really!"%s}}`, alice, alice, carolStory))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)

	const carols = "Replying to Carol's story (see it in Telegram):\n"
	m := h.waitEvent(t, 0, "the reply to Carol's story", func(ev *pb.Event) bool { return ev.EventId == "60" && ev.GetMessage() != nil }).GetMessage()
	if want := carols + "nice view!"; m.Text != want || m.ReplyToId != "" {
		t.Errorf("the reply to Carol's story: %q (reply to %q), want %q", m.Text, m.ReplyToId, want)
	}
	if len(m.Spans) != 1 || m.Text[m.Spans[0].Start:m.Spans[0].End] != "nice" || m.Spans[0].Style != pb.Span_STYLE_BOLD {
		t.Errorf("its formatting: %v, want \"nice\" bold", m.Spans)
	}
	m = h.waitEvent(t, 0, "the reply to the bot's story", func(ev *pb.Event) bool { return ev.EventId == "61" && ev.GetMessage() != nil }).GetMessage()
	if want := "Replying to your story (see it in Telegram):\nthanks"; m.Text != want {
		t.Errorf("the reply to the bot's story: %q, want %q", m.Text, want)
	}
	e := h.waitEvent(t, 0, "the correction", func(ev *pb.Event) bool { return ev.GetEdit() != nil }).GetEdit()
	if want := carols + "nice view, really!"; e.Text != want {
		t.Errorf("the correction: %q, want %q", e.Text, want)
	}
}
