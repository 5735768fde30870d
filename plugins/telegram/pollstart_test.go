package telegram

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/botmode"
)

// sentPollIn is the last message of owner's box with a poll.
func sentPollIn(t *testing.T, msgs []*tg.Message) (*tg.Message, *tg.Poll) {
	t.Helper()
	for i := len(msgs) - 1; i >= 0; i-- {
		if md, ok := msgs[i].Media.(*tg.MessageMediaPoll); ok {
			return msgs[i], &md.Poll
		}
	}
	t.Fatal("no poll sent")
	return nil, nil
}

// The user starts a poll from XMPP (sdk.PollStarter): messages.sendMedia
// with inputMediaPoll, the question and options as given, several
// answers allowed when asked; its message is the result's, not shown
// again as from another app. Votes correct it as the user's own message
// with the counts: a contact's (updateMessagePoll), the user's own from
// XMPP (Vote, with the option bytes Telegram gave), and after a restart
// of the plugin too. A resend of the txn makes no second poll. A poll
// past Telegram's bounds (question, option, count) is BAD_REQUEST naming
// the bound, Telegram not asked; Telegram's own refusal is worded.
func TestStartPoll(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	ctx := ctxT(t)
	if f, _ := sdk.Features(s, nil); !f.PollCreate {
		t.Error("poll_create is not advertised")
	}
	from := h.count()
	c := sdk.Call{ChatID: "1002", TxnID: "txn-poll-1"}
	res, err := s.StartPoll(ctx, c, &pb.Poll{Question: "Lunch?", Options: []string{"Pizza", "Sushi"}})
	if err != nil {
		t.Fatal(err)
	}
	m, p := sentPollIn(t, srv.Messages(bob.ID))
	if m.Out || p.Question.Text != "Lunch?" || len(p.Answers) != 2 || p.Answers[0].GetText().Text != "Pizza" ||
		p.Answers[1].GetText().Text != "Sushi" || p.MultipleChoice {
		t.Fatalf("bob got %+v", p)
	}
	gid := srv.GID(bob.ID, m.ID)
	if mine := srv.ID(gid, alice.ID); res.MessageID != strconv.Itoa(mine) {
		t.Errorf("result names message %q, want alice's %d", res.MessageID, mine)
	}

	const hint = "\n(vote with a reply: /vote 1, or in Telegram)"
	mineCorrected := func(what, text string) {
		t.Helper()
		ev := h.wait(t, from, what, isCorrection("1002", res.MessageID, text))
		if !ev.Sender.GetIsFromMe() || ev.Sender.GetUserId() != "1001" {
			t.Errorf("%s: correction from %v, want the user's own", what, ev.Sender)
		}
	}
	// Bob votes: Telegram's option bytes are the poll's own.
	from = h.count()
	srv.Vote(bob.ID, gid, p.Answers[0].(*tg.PollAnswer).Option)
	mineCorrected("bob's vote", "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 0 votes"+hint)
	// The user's own vote, from XMPP.
	from = h.count()
	if err := s.Vote(ctx, sdk.Call{ChatID: "1002"}, &pb.Vote{TargetId: res.MessageID, Choices: []string{"2"}}); err != nil {
		t.Fatal(err)
	}
	mineCorrected("alice's vote", "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 1 vote"+hint)
	h.mu.Lock()
	for _, ev := range h.events {
		if ev.ChatId == "1002" && strings.Contains(ev.GetMessage().GetText(), "Lunch?") {
			t.Errorf("the user's poll came back as a message: %v", ev)
		}
	}
	h.mu.Unlock()

	// The resend of the txn (the plugin died before its answer): the
	// same poll, none other.
	again, err := s.StartPoll(ctx, c, &pb.Poll{Question: "Lunch?", Options: []string{"Pizza", "Sushi"}})
	if err != nil || again.MessageID != res.MessageID {
		t.Errorf("resend: %q, %v; want %q", again.MessageID, err, res.MessageID)
	}
	polls := 0
	for _, m := range srv.Messages(bob.ID) {
		if _, ok := m.Media.(*tg.MessageMediaPoll); ok {
			polls++
		}
	}
	if polls != 1 {
		t.Errorf("bob has %d polls, want 1", polls)
	}

	// Several answers, in a group.
	gres, err := s.StartPoll(ctx, sdk.Call{ChatID: "-77", TxnID: "txn-poll-2"}, &pb.Poll{Question: "Which days?", Options: []string{"Mon", "Tue", "Wed"}, Multiple: true})
	if err != nil {
		t.Fatal(err)
	}
	gm, gp := sentPollIn(t, srv.Messages(carol.ID))
	if !gp.MultipleChoice || len(gp.Answers) != 3 {
		t.Fatalf("carol got %+v, want a poll of 3 options, several allowed", gp)
	}

	// After a restart of the plugin, a vote corrects the poll still.
	if err := s.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	s = connect(t, n, h, info)
	from = h.count()
	srv.Vote(carol.ID, srv.GID(carol.ID, gm.ID), gp.Answers[0].(*tg.PollAnswer).Option, gp.Answers[2].(*tg.PollAnswer).Option)
	ev := h.wait(t, from, "carol's vote after the restart", isCorrection("-77", gres.MessageID,
		"Poll: Which days? (several answers allowed)\n1. Mon: 1 vote\n2. Tue: 0 votes\n3. Wed: 1 vote"+hint))
	if !ev.Sender.GetIsFromMe() {
		t.Errorf("correction after the restart from %v, want the user's own", ev.Sender)
	}

	// Past Telegram's bounds: refused, Telegram not asked.
	asked := srv.Requests("messages.sendMedia")
	long := func(n int) string { return strings.Repeat("é", n) }
	many := make([]string, pollOptionsMax+1)
	for i := range many {
		many[i] = "option " + strconv.Itoa(i)
	}
	for _, tc := range []struct {
		what  string
		poll  *pb.Poll
		words string
	}{
		{"a long question", &pb.Poll{Question: long(256), Options: []string{"a", "b"}}, "at most 255 characters"},
		{"a long option", &pb.Poll{Question: "Q?", Options: []string{"a", long(101)}}, "at most 100 characters (option 2"},
		{"too many options", &pb.Poll{Question: "Q?", Options: many}, "at most 12 options"},
	} {
		_, err := s.StartPoll(ctx, sdk.Call{ChatID: "1002"}, tc.poll)
		wantCode(t, tc.what, err, pb.ErrorCode_ERROR_CODE_BAD_REQUEST, tc.words)
	}
	// At the bounds: taken (a character outside the BMP counts twice).
	if _, err := s.StartPoll(ctx, sdk.Call{ChatID: "1002"}, &pb.Poll{Question: long(255), Options: []string{long(100), strings.Repeat("🍕", 50)}}); err != nil {
		t.Errorf("a poll at the bounds: %v", err)
	}
	if got := srv.Requests("messages.sendMedia"); got != asked+1 {
		t.Errorf("%d polls asked of Telegram, want only the one within bounds", got-asked)
	}
	_, err = s.StartPoll(ctx, sdk.Call{ChatID: "1002"}, &pb.Poll{Question: "Q?", Options: []string{"a", strings.Repeat("🍕", 51)}})
	wantCode(t, "an option past the bound in UTF-16", err, pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "at most 100 characters")
	// Telegram's own refusal, in words.
	_, err = s.StartPoll(ctx, sdk.Call{ChatID: "1002"}, &pb.Poll{Question: "Tea?", Options: []string{"Green", "Green"}})
	wantCode(t, "Telegram refusing an option twice", err, pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "twice", "POLL_OPTION_DUPLICATE")
}

// A bot login's poll goes to bot mode (sendPoll there), not to
// messages.sendMedia: a bot not connected answers that it is not logged
// in, and its chats allow polls.
func TestStartPollBotLogin(t *testing.T) {
	srv := newFake(t)
	n, _ := newNetwork(t, srv)
	ctx := ctxT(t)
	s, err := n.LoadLogin(ctx, sdk.LoginInfo{LoginID: botmode.LoginIDFor(42), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.StartPoll(ctx, sdk.Call{ChatID: "1002"}, &pb.Poll{Question: "Lunch?", Options: []string{"Pizza", "Sushi"}})
	wantCode(t, "a bot's poll, not connected", err, pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "telegram bot")
	if l, err := s.ChatLimits(ctx, "-100740"); err != nil || !l.Features.GetPollCreate() {
		t.Errorf("a bot's chat limits: %+v, %v; want poll_create", l, err)
	}
	if srv.Requests("messages.sendMedia") != 0 {
		t.Error("a bot login asked Telegram for messages.sendMedia")
	}
}
