package botmode_test

import (
	"fmt"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A reply carries what the Bot API gives of the message it answers, for
// the gateway to show when it never had that message: the part quoted,
// else the message's text, and its author (the bot's own: from me).
func TestReplyQuote(t *testing.T) {
	api := newFakeAPI(t)
	chat := fmt.Sprintf(`"chat":{"id":%d,"type":"private","first_name":"Alice","username":"alice"}`, alice)
	api.push(privateMsg(5, "plain reply", fmt.Sprintf(`,"reply_to_message":{"message_id":3,"date":1699999000,%s,
		"from":{"id":%d,"is_bot":false,"first_name":"Alice"},"text":"what I said before"}`, chat, alice)))
	api.push(privateMsg(6, "quoting reply", fmt.Sprintf(`,"reply_to_message":{"message_id":4,"date":1699999100,%s,
		"from":{"id":%d,"is_bot":true,"first_name":"Passerelle Test"},"text":"the bot's long answer"},
		"quote":{"text":"long answer","position":10}`, chat, testBotID)))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	for _, tc := range []struct {
		text string
		want *pb.MessageEvent
	}{
		{"plain reply", &pb.MessageEvent{ReplyToId: "3", QuoteText: "what I said before", QuoteAuthorId: fmt.Sprint(alice)}},
		{"quoting reply", &pb.MessageEvent{ReplyToId: "4", QuoteText: "long answer", QuoteFromMe: true}},
	} {
		i := h.waitFor(t, 0, tc.text, func(ev *pb.Event) bool { return ev.GetMessage().GetText() == tc.text })
		got := h.events()[i].GetMessage()
		if got.ReplyToId != tc.want.ReplyToId || got.QuoteText != tc.want.QuoteText ||
			got.QuoteAuthorId != tc.want.QuoteAuthorId || got.QuoteFromMe != tc.want.QuoteFromMe {
			t.Errorf("%s: reply to %q quoting %q by %q (from me %v), want reply to %q quoting %q by %q (from me %v)",
				tc.text, got.ReplyToId, got.QuoteText, got.QuoteAuthorId, got.QuoteFromMe,
				tc.want.ReplyToId, tc.want.QuoteText, tc.want.QuoteAuthorId, tc.want.QuoteFromMe)
		}
	}
}
