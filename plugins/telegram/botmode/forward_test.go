package botmode_test

import (
	"fmt"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A forwarded message starts with whom it was forwarded from (the Bot
// API's forward_origin), in the words of user-account mode
// (TestForwardedFrom): a user, a channel's post with its signature, an
// account hidden by its privacy settings, a group's anonymous admin; the
// text's formatting kept after the line. A channel's post copied into its
// discussion group (is_automatic_forward) and a message not forwarded
// have no line. They read as the forwarder's own words.
func TestForwardedFromBot(t *testing.T) {
	bold := `,"entities":[{"type":"bold","offset":0,"length":3}]`
	cases := []struct {
		name, extra, want string
	}{
		{"from a user", `,"forward_origin":{"type":"user","date":1699990000,"sender_user":{"id":503,"is_bot":false,"first_name":"Carol","last_name":"Ray"}}`,
			"Forwarded from Carol Ray:\ntea time"},
		{"a channel's post, signed", `,"forward_origin":{"type":"channel","date":1699990000,"chat":{"id":-1001500,"type":"channel","title":"News"},"message_id":9,"author_signature":"Dora"}`,
			"Forwarded from News (Dora):\ntea time"},
		{"a channel's post", `,"forward_origin":{"type":"channel","date":1699990000,"chat":{"id":-1001500,"type":"channel","title":"News"},"message_id":9}`,
			"Forwarded from News:\ntea time"},
		{"a hidden account", `,"forward_origin":{"type":"hidden_user","date":1699990000,"sender_user_name":"Mad Hatter"}`,
			"Forwarded from Mad Hatter:\ntea time"},
		{"a group's anonymous admin", `,"forward_origin":{"type":"chat","date":1699990000,"sender_chat":{"id":-1001600,"type":"supergroup","title":"Tea Club"}}`,
			"Forwarded from Tea Club:\ntea time"},
		{"no name at all", `,"forward_origin":{"type":"hidden_user","date":1699990000,"sender_user_name":""}`,
			"Forwarded message:\ntea time"},
		{"copied into the discussion group", `,"is_automatic_forward":true,"forward_origin":{"type":"channel","date":1699990000,"chat":{"id":-1001500,"type":"channel","title":"News"},"message_id":9}`,
			"tea time"},
		{"not forwarded", "", "tea time"},
	}
	api := newFakeAPI(t)
	for i, tc := range cases {
		api.push(privateMsg(70+i, "tea time", tc.extra+bold))
	}
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	for i, tc := range cases {
		id := fmt.Sprint(70 + i)
		m := h.waitEvent(t, 0, tc.name, func(ev *pb.Event) bool { return ev.EventId == id && ev.GetMessage() != nil }).GetMessage()
		if m.Text != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, m.Text, tc.want)
		}
		if len(m.Spans) != 1 || m.Text[m.Spans[0].Start:m.Spans[0].End] != "tea" || m.Spans[0].Style != pb.Span_STYLE_BOLD {
			t.Errorf("%s: spans %v, want \"tea\" bold", tc.name, m.Spans)
		}
	}
}
