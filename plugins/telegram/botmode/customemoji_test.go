package botmode_test

import (
	"fmt"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A message of custom emoji only (the Bot API's text is their alts, each
// covered by a custom_emoji entity) reads as those alts, with no span
// left of the entities: not an empty message.
func TestCustomEmojiOnlyMessage(t *testing.T) {
	api := newFakeAPI(t)
	api.push(fmt.Sprintf(`{"message":{"message_id":3,"date":1700000000,"chat":{"id":%d,"type":"private","first_name":"Alice"},
		"from":{"id":%d,"is_bot":false,"first_name":"Alice"},"text":"🎉🦄","entities":[
		{"type":"custom_emoji","offset":0,"length":2,"custom_emoji_id":"5001"},
		{"type":"custom_emoji","offset":2,"length":2,"custom_emoji_id":"5003"}]}}`, alice, alice))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	ev := h.waitEvent(t, 0, "alice's custom emoji", func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if m := ev.GetMessage(); m.Text != "🎉🦄" || len(m.Spans) != 0 || len(m.Attachments) != 0 {
		t.Errorf("a message of custom emoji only: %v; want the text 🎉🦄, no span, no file", m)
	}
}
