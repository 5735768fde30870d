package botmode_test

import (
	"fmt"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// An @username in a message the bot receives is a mention of the member
// the bot has seen with that username (whatever its capitals), as a
// text mention is; one it has not seen stays text.
func TestUsernameMention(t *testing.T) {
	api := newFakeAPI(t)
	api.push(fmt.Sprintf(`{"message":{"message_id":10,"date":1700000100,"chat":{"id":%d,"type":"supergroup","title":"Test group"},
		"from":{"id":601,"is_bot":false,"first_name":"Bob","username":"bob"},"text":"hello"}}`, groupID))
	api.push(fmt.Sprintf(`{"message":{"message_id":11,"date":1700000200,"chat":{"id":%d,"type":"supergroup","title":"Test group"},
		"from":{"id":600,"is_bot":false,"first_name":"Owner"},"text":"😀 @Bob and @nobody","entities":[
		{"type":"mention","offset":3,"length":4},{"type":"mention","offset":12,"length":7}]}}`, groupID))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	i := h.waitFor(t, 0, "the owner's message", func(ev *pb.Event) bool { return ev.EventId == "11" && ev.GetMessage() != nil })
	spans := h.events()[i].GetMessage().Spans
	want := &pb.Span{Start: 5, End: 9, Style: pb.Span_STYLE_MENTION, UserId: "601"}
	if len(spans) != 1 || spans[0].String() != want.String() {
		t.Errorf("spans %v, want %v alone", spans, want)
	}
}
