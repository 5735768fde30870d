package telegram

import (
	"log/slog"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// lunch is a poll of the tests, its ID id.
func lunch(id int64) tgfake.MsgOpt {
	return tgfake.WithMedia(&tg.MessageMediaPoll{Poll: tg.Poll{ID: id, Question: tg.TextWithEntities{Text: "Lunch?"},
		Answers: []tg.PollAnswerClass{
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Pizza"}, Option: []byte{0}},
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Sushi"}, Option: []byte{1}}}}})
}

// isCorrection accepts the correction of message target in chat with
// text.
func isCorrection(chat, target, text string) func(*pb.Event) bool {
	return func(ev *pb.Event) bool {
		return ev.ChatId == chat && ev.GetEdit().GetTargetId() == target && ev.GetEdit().GetText() == text
	}
}

// Against the fake Telegram: a poll arrives as its text; each vote is a
// correction of that message with the counts as they stand, from the
// poll's sender; its closing says "(closed)"; the same in a group. An
// update of a poll the session never saw makes nothing, and the session
// goes on; nor does one that changes nothing the text shows.
func TestPollUpdatesLive(t *testing.T) {
	srv := newFake(t)
	_, h, _, _ := connectAlice(t, srv)
	toAlice := &tg.PeerUser{UserID: alice.ID}
	from := h.count()
	gid := srv.Send(bob.ID, toAlice, "", lunch(41))
	msg := h.wait(t, from, "the poll", isMessage("1002", "Poll: Lunch?"))
	if want := "Poll: Lunch?\n1. Pizza\n2. Sushi\n(vote with a reply: /vote 1, or in Telegram)"; msg.GetMessage().GetText() != want {
		t.Fatalf("poll %q, want %q", msg.GetMessage().GetText(), want)
	}

	from = h.count()
	srv.Vote(bob.ID, gid, []byte{0})
	ev := h.wait(t, from, "bob's vote", isCorrection("1002", msg.EventId, "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 0 votes\n(vote with a reply: /vote 1, or in Telegram)"))
	if ev.Sender.GetUserId() != "1002" || ev.Sender.GetIsFromMe() {
		t.Errorf("correction from %v, want the poll's sender, bob", ev.Sender)
	}
	from = h.count()
	srv.Vote(alice.ID, gid, []byte{1})
	h.wait(t, from, "alice's vote", isCorrection("1002", msg.EventId, "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 1 vote\n(vote with a reply: /vote 1, or in Telegram)"))
	from = h.count()
	srv.Vote(bob.ID, gid) // taken back
	h.wait(t, from, "bob's vote taken back", isCorrection("1002", msg.EventId, "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n(vote with a reply: /vote 1, or in Telegram)"))
	from = h.count()
	srv.ClosePoll(gid)
	h.wait(t, from, "the closing", isCorrection("1002", msg.EventId, "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n(closed)"))

	// In a group: the correction comes from the poll's sender too.
	from = h.count()
	ggid := srv.Send(carol.ID, &tg.PeerChat{ChatID: 77}, "", lunch(42))
	gmsg := h.wait(t, from, "the group's poll", isMessage("-77", "Poll: Lunch?"))
	from = h.count()
	srv.Vote(bob.ID, ggid, []byte{1})
	ev = h.wait(t, from, "a vote in the group", isCorrection("-77", gmsg.EventId, "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n(vote with a reply: /vote 1, or in Telegram)"))
	if ev.Sender.GetUserId() != "1003" || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP {
		t.Errorf("group correction %v, want carol's in the group", ev)
	}

	// A poll never seen: nothing, and the session goes on. Nor does an
	// update that changes nothing shown (the closed poll's same counts).
	from = h.count()
	srv.PushPollUpdate(alice.ID, &tg.UpdateMessagePoll{PollID: 999, Results: tg.PollResults{TotalVoters: 1,
		Results: []tg.PollAnswerVoters{{Option: []byte{0}, Voters: 1}}}})
	srv.PushPollUpdate(alice.ID, &tg.UpdateMessagePoll{PollID: 41, Results: tg.PollResults{TotalVoters: 1,
		Results: []tg.PollAnswerVoters{{Option: []byte{0}}, {Option: []byte{1}, Voters: 1}}}})
	srv.Send(bob.ID, toAlice, "after the unknown poll")
	h.wait(t, from, "the message after", isMessage("1002", "after the unknown poll"))
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.events[from:] {
		if ev.GetEdit() != nil {
			t.Errorf("an unknown poll's update, or one that changes nothing, made %v", ev)
		}
	}
}

// After a restart (the session closed, a new one on the same login
// folder) the polls seen before are still known: a vote and the closing
// of a poll seen before correct its message, from its sender, with the
// counts as they stand.
func TestPollUpdatesAfterRestart(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	from := h.count()
	gid := srv.Send(carol.ID, &tg.PeerChat{ChatID: 77}, "", lunch(43))
	msg := h.wait(t, from, "the group's poll", isMessage("-77", "Poll: Lunch?"))
	from = h.count()
	srv.Vote(bob.ID, gid, []byte{1})
	h.wait(t, from, "a vote before the restart", isCorrection("-77", msg.EventId, "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n(vote with a reply: /vote 1, or in Telegram)"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}

	connect(t, n, h, info)
	from = h.count()
	srv.Vote(alice.ID, gid, []byte{0})
	ev := h.wait(t, from, "a vote after the restart", isCorrection("-77", msg.EventId, "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 1 vote\n(vote with a reply: /vote 1, or in Telegram)"))
	if ev.Sender.GetUserId() != "1003" || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP {
		t.Errorf("correction %v, want carol's in the group", ev)
	}
	from = h.count()
	srv.ClosePoll(gid)
	h.wait(t, from, "the closing after the restart", isCorrection("-77", msg.EventId, "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 1 vote\n(closed)"))
}

// A poll kept is read back as it was: its results, and its message's
// sender, caption and entities.
func TestPollCacheKept(t *testing.T) {
	dir := t.TempDir()
	var c pollCache
	c.load(dir, slog.New(slog.DiscardHandler))
	md := &tg.MessageMediaPoll{Poll: tg.Poll{ID: 5, Question: tg.TextWithEntities{Text: "Tea?"},
		Answers: []tg.PollAnswerClass{&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Yes"}, Option: []byte{0}}}}}
	c.remember(md, pollMsg{chat: "-77", id: 9, sender: &pb.Sender{UserId: "1003", Name: "Carol"}, caption: "see",
		ents: []tg.MessageEntityClass{&tg.MessageEntityBold{Offset: 0, Length: 3}}})
	// Counts given once, then the total alone: the last counts stand,
	// after a restart too.
	c.update(&tg.UpdateMessagePoll{PollID: 5, Results: tg.PollResults{TotalVoters: 2, Results: []tg.PollAnswerVoters{{Option: []byte{0}, Voters: 2}}}})
	c.update(&tg.UpdateMessagePoll{PollID: 5, Results: tg.PollResults{TotalVoters: 3}})

	var c2 pollCache
	c2.load(dir, slog.New(slog.DiscardHandler))
	closing := &tg.UpdateMessagePoll{PollID: 5, Poll: tg.Poll{ID: 5, Closed: true, Question: tg.TextWithEntities{Text: "Tea?"},
		Answers: []tg.PollAnswerClass{&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Yes"}, Option: []byte{0}}}}, Results: tg.PollResults{TotalVoters: 3}}
	closing.SetFlags()
	text, msgs, ok := c2.update(closing)
	if !ok || text != "Poll: Tea?\n1. Yes: 2 votes\n(closed)" || len(msgs) != 1 {
		t.Fatalf("after the restart: %q %v %v", text, msgs, ok)
	}
	pm := msgs[0]
	if b, isBold := pm.ents[0].(*tg.MessageEntityBold); pm.chat != "-77" || pm.id != 9 || pm.sender.GetUserId() != "1003" || pm.sender.GetName() != "Carol" ||
		pm.caption != "see" || len(pm.ents) != 1 || !isBold || b.Length != 3 {
		t.Errorf("the message read back: %+v", pm)
	}
}

// The cache of polls keeps at most pollsMax polls, forgetting the one
// seen longest ago, and at most pollMsgsMax messages of one poll.
func TestPollCacheBound(t *testing.T) {
	var c pollCache
	md := func(id int64) *tg.MessageMediaPoll { return &tg.MessageMediaPoll{Poll: tg.Poll{ID: id}} }
	for i := range pollsMax + 10 {
		c.remember(md(int64(i)), pollMsg{chat: "1002", id: i})
	}
	if len(c.m) != pollsMax || len(c.order) != pollsMax {
		t.Errorf("%d polls kept (%d in order), want %d", len(c.m), len(c.order), pollsMax)
	}
	if _, _, ok := c.update(&tg.UpdateMessagePoll{PollID: 0}); ok {
		t.Error("the oldest poll is still kept")
	}
	if _, msgs, ok := c.update(&tg.UpdateMessagePoll{PollID: pollsMax + 9}); !ok || len(msgs) != 1 || msgs[0].id != pollsMax+9 {
		t.Errorf("the newest poll: %v %v", msgs, ok)
	}
	for i := range pollMsgsMax + 3 {
		c.remember(md(7777), pollMsg{chat: "-77", id: i})
	}
	c.remember(md(7777), pollMsg{chat: "-77", id: pollMsgsMax + 2}) // again: once
	if _, msgs, _ := c.update(&tg.UpdateMessagePoll{PollID: 7777}); len(msgs) != pollMsgsMax || msgs[0].id != 3 || msgs[len(msgs)-1].id != pollMsgsMax+2 {
		t.Errorf("one poll's messages: %v, want the newest %d", msgs, pollMsgsMax)
	}
}

// An update that closes a poll but gives no counts (only the total, as
// the session had none or stale ones: votes cast while away come without
// pts) has the results asked of Telegram (messages.getPollResults): the
// correction is the poll closed with its counts as they are.
func TestPollClosedWithoutCounts(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	from := h.count()
	gid := srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "", lunch(43))
	msg := h.wait(t, from, "the poll", isMessage("1002", "Poll: Lunch?"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv.Vote(bob.ID, gid, []byte{0})
	srv.ClosePoll(gid)
	connect(t, n, h, info)
	from = h.count()
	md := lunch43Closed()
	u := &tg.UpdateMessagePoll{PollID: 43, Results: tg.PollResults{TotalVoters: 1}}
	u.SetPoll(md)
	srv.PushPollUpdate(alice.ID, u)
	h.wait(t, from, "the closing, with its counts", isCorrection("1002", msg.EventId, "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 0 votes\n(closed)"))
	if n := srv.Requests("messages.getPollResults"); n != 1 {
		t.Errorf("%d messages.getPollResults, want 1", n)
	}
}

// lunch43Closed is lunch(43)'s poll, closed.
func lunch43Closed() tg.Poll {
	p := tg.Poll{ID: 43, Closed: true, Question: tg.TextWithEntities{Text: "Lunch?"},
		Answers: []tg.PollAnswerClass{
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Pizza"}, Option: []byte{0}},
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Sushi"}, Option: []byte{1}}}}
	p.SetFlags()
	return p
}

// A quiz reads as what the user may know of it: before they answer, no
// right answer (Telegram tells none); once they did, their answer and
// whether it is right, the right one marked ✓ and the explanation its
// author gave; closed, the same for one they did not answer. A poll
// whose votes are public says so, from its arrival through its
// corrections.
func TestQuizAndPublicPoll(t *testing.T) {
	srv := newFake(t)
	_, h, _, _ := connectAlice(t, srv)
	toAlice := &tg.PeerUser{UserID: alice.ID}
	const hint = "\n(vote with a reply: /vote 1, or in Telegram)"
	const q = "Poll: Capital of France? (quiz)\n"

	srv.SetQuiz(51, []byte{1}, "Paris is the capital.")
	from := h.count()
	gid := srv.Send(bob.ID, toAlice, "", pollOf(51, "Capital of France?", false, true, "Lyon", "Paris"))
	msg := h.wait(t, from, "the quiz", isMessage("1002", "Capital of France?"))
	if want := q + "1. Lyon\n2. Paris" + hint; msg.GetMessage().GetText() != want {
		t.Errorf("the quiz %q, want %q", msg.GetMessage().GetText(), want)
	}
	step := func(what string, act func(), text string) {
		t.Helper()
		from := h.count()
		act()
		h.wait(t, from, what, isCorrection("1002", msg.EventId, text))
	}
	step("bob's answer", func() { srv.Vote(bob.ID, gid, []byte{0}) }, q+"1. Lyon: 1 vote\n2. Paris: 0 votes"+hint)
	step("alice's answer", func() { srv.Vote(alice.ID, gid, []byte{0}) },
		q+"1. Lyon: 2 votes\n2. Paris: 0 votes ✓\nYour answer: Lyon (wrong)\nExplanation: Paris is the capital."+hint)
	step("the quiz closed", func() { srv.ClosePoll(gid) },
		q+"1. Lyon: 2 votes\n2. Paris: 0 votes ✓\nYour answer: Lyon (wrong)\nExplanation: Paris is the capital.\n(closed)")

	// Answered right.
	srv.SetQuiz(52, []byte{1}, "")
	from = h.count()
	gid = srv.Send(bob.ID, toAlice, "", pollOf(52, "Capital of France?", false, true, "Lyon", "Paris"))
	msg = h.wait(t, from, "the second quiz", isMessage("1002", "Capital of France?"))
	step("alice's right answer", func() { srv.Vote(alice.ID, gid, []byte{1}) },
		q+"1. Lyon: 0 votes\n2. Paris: 1 vote ✓\nYour answer: Paris (right)"+hint)

	// Not answered by the user: the right answer once closed.
	srv.SetQuiz(53, []byte{1}, "Paris is the capital.")
	from = h.count()
	gid = srv.Send(bob.ID, toAlice, "", pollOf(53, "Capital of France?", false, true, "Lyon", "Paris"))
	msg = h.wait(t, from, "the third quiz", isMessage("1002", "Capital of France?"))
	step("bob's right answer", func() { srv.Vote(bob.ID, gid, []byte{1}) }, q+"1. Lyon: 0 votes\n2. Paris: 1 vote"+hint)
	step("the third quiz closed", func() { srv.ClosePoll(gid) },
		q+"1. Lyon: 0 votes\n2. Paris: 1 vote ✓\nExplanation: Paris is the capital.\n(closed)")

	// Public votes.
	const public = "\nVotes are public: Telegram shows who voted for what."
	p := tg.Poll{ID: 54, PublicVoters: true, Question: tg.TextWithEntities{Text: "Lunch?"}, Answers: []tg.PollAnswerClass{
		&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Pizza"}, Option: []byte{0}},
		&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Sushi"}, Option: []byte{1}}}}
	from = h.count()
	gid = srv.Send(bob.ID, toAlice, "", tgfake.WithMedia(&tg.MessageMediaPoll{Poll: p}))
	msg = h.wait(t, from, "the public poll", isMessage("1002", "Poll: Lunch?"))
	if want := "Poll: Lunch?\n1. Pizza\n2. Sushi" + public + hint; msg.GetMessage().GetText() != want {
		t.Errorf("the public poll %q, want %q", msg.GetMessage().GetText(), want)
	}
	step("a vote in the public poll", func() { srv.Vote(bob.ID, gid, []byte{1}) }, "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote"+public+hint)
}

// Results "min" (the same for everyone: without the user's own choice,
// as Telegram sends some updates and messages) keep what only the
// user's own said: their answer, a quiz's right one and explanation; so
// a quiz's text does not lose them and get them back.
func TestPollResultsMin(t *testing.T) {
	var c pollCache
	q := tg.Poll{ID: 6, Quiz: true, Question: tg.TextWithEntities{Text: "2+2?"}, Answers: []tg.PollAnswerClass{
		&tg.PollAnswer{Text: tg.TextWithEntities{Text: "4"}, Option: []byte{0}},
		&tg.PollAnswer{Text: tg.TextWithEntities{Text: "5"}, Option: []byte{1}}}}
	c.remember(&tg.MessageMediaPoll{Poll: q, Results: tg.PollResults{TotalVoters: 1, Solution: "Count them.", Results: []tg.PollAnswerVoters{
		{Option: []byte{0}, Correct: true}, {Option: []byte{1}, Voters: 1, Chosen: true}}}}, pollMsg{chat: "1002", id: 3})
	const hint = "\n(vote with a reply: /vote 1, or in Telegram)"
	if text, _ := c.tell(6); text != "Poll: 2+2? (quiz)\n1. 4: 0 votes ✓\n2. 5: 1 vote\nYour answer: 5 (wrong)\nExplanation: Count them."+hint {
		t.Fatalf("the quiz: %q", text)
	}
	u := &tg.UpdateMessagePoll{PollID: 6, Results: tg.PollResults{Min: true, TotalVoters: 2, Results: []tg.PollAnswerVoters{
		{Option: []byte{0}, Voters: 1}, {Option: []byte{1}, Voters: 1}}}}
	u.SetFlags()
	u.Results.SetFlags()
	if text, msgs, _ := c.update(u); text != "Poll: 2+2? (quiz)\n1. 4: 1 vote ✓\n2. 5: 1 vote\nYour answer: 5 (wrong)\nExplanation: Count them."+hint || len(msgs) != 1 {
		t.Errorf("after min results: %q (%d corrections)", text, len(msgs))
	}
	// The total alone: the same.
	if text, msgs, _ := c.update(&tg.UpdateMessagePoll{PollID: 6, Results: tg.PollResults{TotalVoters: 2}}); len(msgs) != 0 {
		t.Errorf("after the total alone: %q, %d corrections, want none", text, len(msgs))
	}
}
