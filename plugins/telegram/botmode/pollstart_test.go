package botmode_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The user starts a poll as the bot (sendPoll): the question, the
// options and "several answers" as given; the result names the poll's
// message. Telegram tells the bot each vote in its poll (a poll update):
// each corrects that message as the user's own, with the counts, after
// a restart of the plugin too. Chats allow polls (poll_create in the
// limits). A poll past the Bot API's bounds is BAD_REQUEST naming the
// bound, sendPoll not called.
func TestStartPollBot(t *testing.T) {
	api := newFakeAPI(t)
	dir := t.TempDir()
	h := newFakeHost()
	s := newSession(t, api, h, dir)
	connect(t, s, h)
	ctx := context.Background()
	if l, err := s.ChatLimits(ctx, fmt.Sprint(alice)); err != nil || !l.Features.GetPollCreate() {
		t.Errorf("a private chat's limits: %+v, %v; want poll_create", l, err)
	}
	c := sdk.Call{ChatID: fmt.Sprint(alice)}
	res, err := s.StartPoll(ctx, c, &pb.Poll{Question: "Lunch?", Options: []string{"Pizza", "Sushi"}, Multiple: true})
	if err != nil {
		t.Fatal(err)
	}
	calls := api.callsOf("sendPoll")
	if len(calls) != 1 {
		t.Fatalf("%d sendPoll calls, want 1", len(calls))
	}
	p := calls[0].Params
	if p["chat_id"] != fmt.Sprint(alice) || p["question"] != "Lunch?" || !strings.Contains(p["options"], `"Pizza"`) ||
		!strings.Contains(p["options"], `"Sushi"`) || p["allows_multiple_answers"] != "true" {
		t.Errorf("sendPoll %v", p)
	}
	pollID := "sent-poll-" + res.MessageID // the fake's

	// vote is Telegram's poll update with these counts, and the
	// correction it makes.
	vote := func(h *fakeHost, what string, pizza, sushi int) {
		t.Helper()
		from := len(h.events())
		api.push(fmt.Sprintf(`{"poll":{"id":%q,"question":"Lunch?","options":[{"text":"Pizza","voter_count":%d},{"text":"Sushi","voter_count":%d}],
			"total_voter_count":%d,"is_closed":false,"is_anonymous":true,"type":"regular","allows_multiple_answers":true}}`, pollID, pizza, sushi, pizza+sushi))
		ev := h.waitEvent(t, from, what, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
		want := fmt.Sprintf("Poll: Lunch? (several answers allowed)\n1. Pizza: %d vote%s\n2. Sushi: %d vote%s\n(vote in Telegram)",
			pizza, plural(pizza), sushi, plural(sushi))
		if e := ev.GetEdit(); e.TargetId != res.MessageID || e.Text != want || ev.ChatId != fmt.Sprint(alice) ||
			!ev.Sender.GetIsFromMe() || ev.Sender.GetUserId() != fmt.Sprint(testBotID) {
			t.Errorf("%s: %v; want the user's own correction of %s with %q", what, ev, res.MessageID, want)
		}
	}
	vote(h, "a vote", 1, 0)
	vote(h, "another vote", 1, 1)

	if err := s.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	h2 := newFakeHost()
	s2 := newSession(t, api, h2, dir)
	connect(t, s2, h2)
	vote(h2, "a vote after the restart", 2, 1)

	// Past the bounds: refused, sendPoll not called.
	many := make([]string, 13)
	for i := range many {
		many[i] = fmt.Sprint("option ", i)
	}
	for _, tc := range []struct {
		what  string
		poll  *pb.Poll
		words string
	}{
		{"a long question", &pb.Poll{Question: strings.Repeat("q", 301), Options: []string{"a", "b"}}, "at most 300 characters"},
		{"a long option", &pb.Poll{Question: "Q?", Options: []string{strings.Repeat("o", 101), "b"}}, "at most 100 characters (option 1"},
		{"too many options", &pb.Poll{Question: "Q?", Options: many}, "at most 12 options"},
	} {
		_, err := s2.StartPoll(ctx, c, tc.poll)
		if e := sdk.ToProto(err); e.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(e.GetText(), tc.words) {
			t.Errorf("%s: %v, want BAD_REQUEST saying %q", tc.what, err, tc.words)
		}
	}
	if n := len(api.callsOf("sendPoll")); n != 1 {
		t.Errorf("%d sendPoll calls, want only the first", n)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
