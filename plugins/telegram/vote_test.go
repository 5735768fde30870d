package telegram

import (
	"bytes"
	"slices"
	"strconv"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/botmode"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// pollOf is a poll of the tests: its ID id, its options answers (option
// bytes 0, 1, ...), several allowed when multiple, a quiz when quiz.
func pollOf(id int64, question string, multiple, quiz bool, answers ...string) tgfake.MsgOpt {
	p := tg.Poll{ID: id, Question: tg.TextWithEntities{Text: question}, MultipleChoice: multiple, Quiz: quiz}
	for i, a := range answers {
		p.Answers = append(p.Answers, &tg.PollAnswer{Text: tg.TextWithEntities{Text: a}, Option: []byte{byte(i)}})
	}
	return tgfake.WithMedia(&tg.MessageMediaPoll{Poll: p})
}

// corrections counts the corrections of message target in chat after
// the first from events.
func (h *testHost) corrections(from int, chat, target string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, ev := range h.events[min(from, len(h.events)):] {
		if ev.ChatId == chat && ev.GetEdit().GetTargetId() == target {
			n++
		}
	}
	return n
}

// The user votes in a poll from XMPP (sdk.Voter, messages.sendVote):
// the poll's text says how; an option by its number or its text (any
// case) is the user's vote on Telegram, and the poll's message is
// corrected once with the counts, though the update comes both in
// Telegram's answer and pushed; several options in a poll that allows
// them; no option takes the vote back. A choice that names no option,
// or several in a poll of one answer, is BAD_REQUEST naming the options
// and asks Telegram nothing, and so is Telegram's own refusal of the
// options (POLL_ANSWERS_INVALID); a closed poll, and a quiz answered
// already (REVOTE_NOT_ALLOWED), are NOT_ALLOWED; a message that is no
// poll the session knows, or one of another chat, is NOT_FOUND.
func TestVote(t *testing.T) {
	srv := newFake(t)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if f, _ := sdk.Features(s, nil); !f.PollVote {
		t.Error("poll_vote is not advertised")
	}
	toAlice := &tg.PeerUser{UserID: alice.ID}
	from := h.count()
	gid := srv.Send(bob.ID, toAlice, "", lunch(61))
	msg := h.wait(t, from, "the poll", isMessage("1002", "Poll: Lunch?"))
	const hint = "\n(vote with a reply: /vote 1, or in Telegram)"
	if want := "Poll: Lunch?\n1. Pizza\n2. Sushi" + hint; msg.GetMessage().GetText() != want {
		t.Fatalf("poll %q, want %q", msg.GetMessage().GetText(), want)
	}
	bobChat := sdk.Call{ChatID: "1002"}
	// vote votes choices in the poll of message target of chat, as the
	// user, and checks Telegram has the vote want (option bytes) and the
	// message is corrected once with text.
	vote := func(c sdk.Call, target string, gid int, choices []string, want [][]byte, text string) {
		t.Helper()
		from := h.count()
		if err := s.Vote(ctx, c, &pb.Vote{TargetId: target, Choices: choices}); err != nil {
			t.Fatalf("vote %q: %v", choices, err)
		}
		if got := srv.VoteOf(alice.ID, gid); !slices.EqualFunc(got, want, bytes.Equal) {
			t.Errorf("vote %q: Telegram has %v, want %v", choices, got, want)
		}
		h.wait(t, from, "the correction of the vote", isCorrection(c.ChatID, target, text))
		// The pushed copy of the update comes before bob's message.
		srv.Send(bob.ID, toAlice, "after "+text)
		h.wait(t, from, "bob's message after the vote", isMessage("1002", "after "+text))
		if n := h.corrections(from, c.ChatID, target); n != 1 {
			t.Errorf("vote %q: %d corrections, want 1", choices, n)
		}
	}
	vote(bobChat, msg.EventId, gid, []string{"2"}, [][]byte{{1}}, "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote"+hint)
	vote(bobChat, msg.EventId, gid, []string{" pIZZA "}, [][]byte{{0}}, "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 0 votes"+hint)
	vote(bobChat, msg.EventId, gid, nil, nil, "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 0 votes"+hint)

	// Several, in a group's poll that allows them: each once.
	from = h.count()
	dgid := srv.Send(carol.ID, &tg.PeerChat{ChatID: 77}, "", pollOf(62, "Which days?", true, false, "Mon", "Tue", "Wed"))
	days := h.wait(t, from, "the group's poll", isMessage("-77", "Poll: Which days?"))
	vote(sdk.Call{ChatID: "-77"}, days.EventId, dgid, []string{"3", "mon", "1"}, [][]byte{{0}, {2}},
		"Poll: Which days? (several answers allowed)\n1. Mon: 1 vote\n2. Tue: 0 votes\n3. Wed: 1 vote"+hint)

	// Choices that name no option, several in a poll of one answer:
	// refused with the options, Telegram not asked.
	asked := srv.Requests("messages.sendVote")
	for _, choices := range [][]string{{"3"}, {"0"}, {"Salad"}, {"1", "2"}, {"Pizza", "sushi"}} {
		err := s.Vote(ctx, bobChat, &pb.Vote{TargetId: msg.EventId, Choices: choices})
		wantCode(t, "choices "+choices[0], err, pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "1. Pizza, 2. Sushi")
	}
	if srv.Requests("messages.sendVote") != asked {
		t.Error("choices that name no option reached Telegram")
	}
	// Telegram's refusal of the options, in words.
	srv.SetVoteError("POLL_ANSWERS_INVALID")
	err := s.Vote(ctx, bobChat, &pb.Vote{TargetId: msg.EventId, Choices: []string{"1"}})
	wantCode(t, "Telegram refusing the options", err, pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "POLL_ANSWERS_INVALID", "1. Pizza, 2. Sushi")

	// Messages that are no poll the session knows.
	from = h.count()
	srv.Send(bob.ID, toAlice, "no poll")
	plain := h.wait(t, from, "a plain message", isMessage("1002", "no poll"))
	for what, c := range map[string]struct {
		chat, target string
	}{"a plain message": {"1002", plain.EventId}, "another chat's poll": {"-77", msg.EventId}, "no message ID": {"1002", "x"}} {
		err := s.Vote(ctx, sdk.Call{ChatID: c.chat}, &pb.Vote{TargetId: c.target, Choices: []string{"1"}})
		wantCode(t, what, err, pb.ErrorCode_ERROR_CODE_NOT_FOUND)
	}

	// A quiz is answered once.
	from = h.count()
	qgid := srv.Send(bob.ID, toAlice, "", pollOf(63, "Capital of France?", false, true, "Lyon", "Paris"))
	quiz := h.wait(t, from, "the quiz", isMessage("1002", "Poll: Capital of France?"))
	vote(bobChat, quiz.EventId, qgid, []string{"Paris"}, [][]byte{{1}}, "Poll: Capital of France? (quiz)\n1. Lyon: 0 votes\n2. Paris: 1 vote\nYour answer: Paris"+hint)
	err = s.Vote(ctx, bobChat, &pb.Vote{TargetId: quiz.EventId, Choices: []string{"1"}})
	wantCode(t, "a quiz answered already", err, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "REVOTE_NOT_ALLOWED")
	if got := srv.VoteOf(alice.ID, qgid); !slices.EqualFunc(got, [][]byte{{1}}, bytes.Equal) {
		t.Errorf("the quiz answered again: Telegram has %v", got)
	}

	// A closed poll: refused, Telegram not asked.
	from = h.count()
	srv.ClosePoll(gid)
	h.wait(t, from, "the closing", isCorrection("1002", msg.EventId, "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 0 votes\n(closed)"))
	asked = srv.Requests("messages.sendVote")
	err = s.Vote(ctx, bobChat, &pb.Vote{TargetId: msg.EventId, Choices: []string{"1"}})
	wantCode(t, "a closed poll", err, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "closed")
	if srv.Requests("messages.sendVote") != asked {
		t.Error("a vote in a closed poll reached Telegram")
	}
}

// A poll closed while the session was away (the closing's update has no
// pts: getDifference does not bring it) is open as far as the session
// knows: Telegram's refusal, MESSAGE_POLL_CLOSED, is NOT_ALLOWED, and the
// poll's message is corrected to the poll closed with its results as
// Telegram has them (messages.getPollResults), the vote cast while away
// counted.
func TestVoteClosedUnseen(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	from := h.count()
	gid := srv.Send(carol.ID, &tg.PeerChat{ChatID: 77}, "", lunch(64))
	msg := h.wait(t, from, "the group's poll", isMessage("-77", "Poll: Lunch?"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv.Vote(bob.ID, gid, []byte{1})
	srv.ClosePoll(gid)
	s = connect(t, n, h, info)
	from = h.count()
	err := s.Vote(ctxT(t), sdk.Call{ChatID: "-77"}, &pb.Vote{TargetId: msg.EventId, Choices: []string{"1"}})
	wantCode(t, "a poll closed unseen", err, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "MESSAGE_POLL_CLOSED")
	if srv.Requests("messages.sendVote") != 1 {
		t.Errorf("%d votes asked of Telegram, want 1", srv.Requests("messages.sendVote"))
	}
	h.wait(t, from, "the poll closed unseen, corrected", isCorrection("-77", msg.EventId, "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n(closed)"))
}

// A vote in a poll the session never saw (sent before the login) asks
// Telegram for the poll (messages.getMessages), then votes as in one
// seen: the vote is on Telegram, the poll's message corrected with the
// counts. One closed before the login is NOT_ALLOWED, its message
// corrected to its results; a message that is no poll is NOT_FOUND.
func TestVoteNeverSeen(t *testing.T) {
	srv := newFake(t)
	toAlice := &tg.PeerUser{UserID: alice.ID}
	open := srv.Send(bob.ID, toAlice, "", lunch(66))
	closed := srv.Send(bob.ID, toAlice, "", lunch(67))
	plain := srv.Send(bob.ID, toAlice, "no poll")
	srv.Vote(bob.ID, closed, []byte{0})
	srv.ClosePoll(closed)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	target := func(gid int) string { return strconv.Itoa(srv.ID(gid, alice.ID)) }
	bobChat := sdk.Call{ChatID: "1002"}

	from := h.count()
	if err := s.Vote(ctx, bobChat, &pb.Vote{TargetId: target(open), Choices: []string{"Sushi"}}); err != nil {
		t.Fatalf("a vote in a poll never seen: %v", err)
	}
	if got := srv.VoteOf(alice.ID, open); len(got) != 1 || !bytes.Equal(got[0], []byte{1}) {
		t.Errorf("alice's vote on Telegram: %v, want Sushi's", got)
	}
	if n := srv.Requests("messages.getMessages"); n != 1 {
		t.Errorf("%d messages.getMessages, want 1", n)
	}
	h.wait(t, from, "the vote's correction", isCorrection("1002", target(open), "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n(vote with a reply: /vote 1, or in Telegram)"))

	from = h.count()
	err := s.Vote(ctx, bobChat, &pb.Vote{TargetId: target(closed), Choices: []string{"1"}})
	wantCode(t, "a vote in a poll closed before", err, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "closed")
	h.wait(t, from, "the closed poll's correction", isCorrection("1002", target(closed), "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 0 votes\n(closed)"))

	err = s.Vote(ctx, bobChat, &pb.Vote{TargetId: target(plain), Choices: []string{"1"}})
	wantCode(t, "a vote in no poll", err, pb.ErrorCode_ERROR_CODE_NOT_FOUND)
	if n := srv.Requests("messages.sendVote"); n != 1 {
		t.Errorf("%d votes asked of Telegram, want 1", n)
	}
}

// A bot cannot vote (the Bot API has no method for it): bot mode's
// session is no Voter, its chats leave poll_vote out, and the shared
// session refuses it as UNSUPPORTED, asking Telegram nothing.
func TestVoteBot(t *testing.T) {
	srv := newFake(t)
	n, _ := newNetwork(t, srv)
	ctx := ctxT(t)
	s, err := n.LoadLogin(ctx, sdk.LoginInfo{LoginID: botmode.LoginIDFor(42), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Vote(ctx, sdk.Call{ChatID: "1002"}, &pb.Vote{TargetId: "5", Choices: []string{"1"}})
	wantCode(t, "a bot's vote", err, pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "a bot cannot vote")
	if _, ok := any(s.bot).(sdk.Voter); ok {
		t.Error("bot mode's session is a Voter")
	}
	if l, err := s.ChatLimits(ctx, "-100740"); err != nil || l.Features == nil || l.Features.PollVote {
		t.Errorf("a bot's chat limits: %+v, %v; want poll_vote left out", l, err)
	}
	if srv.Requests("messages.sendVote") != 0 {
		t.Error("a bot login asked Telegram to vote")
	}
}
