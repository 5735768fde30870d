package telegram

import (
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// pollClosedOn reports whether owner's copy of message gid has its poll
// closed on the fake Telegram.
func pollClosedOn(srv *tgfake.Server, owner int64, gid int) bool {
	id := srv.ID(gid, owner)
	for _, m := range srv.Messages(owner) {
		if md, ok := m.Media.(*tg.MessageMediaPoll); ok && m.ID == id {
			return md.Poll.Closed
		}
	}
	return false
}

// The user closes a poll they started (sdk.PollCloser,
// messages.editMessage with the poll closed): Telegram has it closed,
// for the other side too, and the poll's message is corrected once, as
// the user's, to the closed poll with its results, though Telegram's
// answer holds both the poll's update and the message's edit and the
// stream brings them again. In a group the same. Closing it again is no
// error, asks Telegram nothing and corrects nothing. Another person's
// poll is NOT_ALLOWED, Telegram not asked; a message that is no poll the
// session knows is NOT_FOUND.
func TestClosePoll(t *testing.T) {
	srv := newFake(t)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if f, _ := sdk.Features(s, nil); !f.PollClose {
		t.Error("poll_close is not advertised")
	}
	toAlice := &tg.PeerUser{UserID: alice.ID}
	bobChat := sdk.Call{ChatID: "1002"}
	res, err := s.StartPoll(ctx, sdk.Call{ChatID: "1002", TxnID: "txn-close-1"}, &pb.Poll{Question: "Lunch?", Options: []string{"Pizza", "Sushi"}})
	if err != nil {
		t.Fatal(err)
	}
	m, p := sentPollIn(t, srv.Messages(bob.ID))
	gid := srv.GID(bob.ID, m.ID)
	from := h.count()
	srv.Vote(bob.ID, gid, p.Answers[0].(*tg.PollAnswer).Option)
	h.wait(t, from, "bob's vote", isCorrection("1002", res.MessageID, "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 0 votes\n(vote with a reply: /vote 1, or in Telegram)"))

	// closeOnce closes the poll of message target in c and checks the one
	// correction, as the user's, with text.
	closeOnce := func(c sdk.Call, target string, gid int, text string) {
		t.Helper()
		from := h.count()
		edits := srv.Requests("messages.editMessage")
		if err := s.ClosePoll(ctx, c, &pb.ClosePoll{TargetId: target}); err != nil {
			t.Fatalf("closing %s: %v", target, err)
		}
		if n := srv.Requests("messages.editMessage"); n != edits+1 {
			t.Errorf("closing %s: %d messages.editMessage, want 1", target, n-edits)
		}
		for _, owner := range []int64{alice.ID, bob.ID} {
			if !pollClosedOn(srv, owner, gid) {
				t.Errorf("closing %s: %d's copy of the poll is open on Telegram", target, owner)
			}
		}
		ev := h.wait(t, from, "the closing's correction", isCorrection(c.ChatID, target, text))
		if !ev.GetSender().GetIsFromMe() {
			t.Errorf("the closing's correction is from %v, want the user", ev.GetSender())
		}
		// The stream's copies come before bob's message.
		srv.Send(bob.ID, toAlice, "after closing "+target)
		h.wait(t, from, "bob's message after the closing", isMessage("1002", "after closing "+target))
		if n := h.corrections(from, c.ChatID, target); n != 1 {
			t.Errorf("closing %s: %d corrections, want 1", target, n)
		}
	}
	closeOnce(bobChat, res.MessageID, gid, "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 0 votes\n(closed)")

	// Closed already: no error, nothing asked, nothing corrected.
	from = h.count()
	edits := srv.Requests("messages.editMessage")
	if err := s.ClosePoll(ctx, bobChat, &pb.ClosePoll{TargetId: res.MessageID}); err != nil {
		t.Errorf("closing a closed poll: %v", err)
	}
	if n := srv.Requests("messages.editMessage"); n != edits {
		t.Errorf("closing a closed poll asked Telegram %d times", n-edits)
	}
	srv.Send(bob.ID, toAlice, "after closing again")
	h.wait(t, from, "bob's message after closing again", isMessage("1002", "after closing again"))
	if n := h.corrections(from, "1002", res.MessageID); n != 0 {
		t.Errorf("closing a closed poll: %d corrections, want none", n)
	}

	// In a group.
	gres, err := s.StartPoll(ctx, sdk.Call{ChatID: "-77", TxnID: "txn-close-2"}, &pb.Poll{Question: "Tea?", Options: []string{"Yes", "No"}})
	if err != nil {
		t.Fatal(err)
	}
	gm, _ := sentPollIn(t, srv.Messages(carol.ID))
	closeOnce(sdk.Call{ChatID: "-77"}, gres.MessageID, srv.GID(carol.ID, gm.ID), "Poll: Tea?\n1. Yes: 0 votes\n2. No: 0 votes\n(closed)")
	if !pollClosedOn(srv, carol.ID, srv.GID(carol.ID, gm.ID)) {
		t.Error("carol's copy of the group's poll is open")
	}

	// Bob's poll: not the user's to close.
	from = h.count()
	bgid := srv.Send(bob.ID, toAlice, "", lunch(71))
	bobs := h.wait(t, from, "bob's poll", isMessage("1002", "Poll: Lunch?"))
	edits = srv.Requests("messages.editMessage")
	err = s.ClosePoll(ctx, bobChat, &pb.ClosePoll{TargetId: bobs.EventId})
	wantCode(t, "closing bob's poll", err, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only who started a poll")
	if n := srv.Requests("messages.editMessage"); n != edits {
		t.Errorf("closing bob's poll asked Telegram %d times", n-edits)
	}
	if pollClosedOn(srv, bob.ID, bgid) {
		t.Error("bob's poll closed")
	}

	// No poll the session knows.
	from = h.count()
	srv.Send(bob.ID, toAlice, "no poll")
	plain := h.wait(t, from, "a plain message", isMessage("1002", "no poll"))
	for what, c := range map[string]struct{ chat, target string }{
		"a plain message": {"1002", plain.EventId}, "another chat's poll": {"-77", res.MessageID}, "no message ID": {"1002", "x"},
	} {
		err := s.ClosePoll(ctx, sdk.Call{ChatID: c.chat}, &pb.ClosePoll{TargetId: c.target})
		wantCode(t, what, err, pb.ErrorCode_ERROR_CODE_NOT_FOUND)
	}
}

// A poll closed while the session was away (the closing's update has no
// pts: getDifference does not bring it, nor the votes before it) is open
// as far as the session knows: Telegram's answer, the poll not modified,
// is no error, and the poll's message is corrected once to the poll
// closed with its results as Telegram has them (messages.getPollResults),
// the votes of that time away counted. Without them (Telegram failing),
// to the poll closed with the counts last known.
func TestClosePollClosedUnseen(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	start := func(txn string) (string, int) {
		t.Helper()
		from := h.count()
		res, err := s.StartPoll(ctxT(t), sdk.Call{ChatID: "-77", TxnID: txn}, &pb.Poll{Question: "Lunch?", Options: []string{"Pizza", "Sushi"}})
		if err != nil {
			t.Fatal(err)
		}
		h.wait(t, from, "the poll as sent", isCorrection("-77", res.MessageID, "Poll: Lunch?\n1. Pizza\n2. Sushi\n(vote with a reply: /vote 1, or in Telegram)"))
		m, _ := sentPollIn(t, srv.Messages(carol.ID))
		return res.MessageID, srv.GID(carol.ID, m.ID)
	}
	target, gid := start("txn-unseen")
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv.Vote(carol.ID, gid, []byte("1"))
	srv.ClosePoll(gid)
	s = connect(t, n, h, info)
	from := h.count()
	if err := s.ClosePoll(ctxT(t), sdk.Call{ChatID: "-77"}, &pb.ClosePoll{TargetId: target}); err != nil {
		t.Errorf("closing a poll closed unseen: %v", err)
	}
	if n := srv.Requests("messages.editMessage"); n != 1 {
		t.Errorf("%d messages.editMessage, want 1", n)
	}
	if n := srv.Requests("messages.getPollResults"); n != 1 {
		t.Errorf("%d messages.getPollResults, want 1", n)
	}
	h.wait(t, from, "the poll closed unseen, corrected", isCorrection("-77", target, "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n(closed)"))
	barrier := func(text string) {
		t.Helper()
		srv.Send(carol.ID, &tg.PeerChat{ChatID: 77}, text)
		h.wait(t, from, "carol's "+text, isMessage("-77", text))
	}
	barrier("after the closing")
	if n := h.corrections(from, "-77", target); n != 1 {
		t.Errorf("%d corrections, want 1", n)
	}

	// Telegram gives no results: the counts last known, closed.
	target, gid = start("txn-unseen-2")
	from = h.count()
	srv.Vote(carol.ID, gid, []byte("0"))
	h.wait(t, from, "carol's vote", isCorrection("-77", target, "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 0 votes\n(vote with a reply: /vote 1, or in Telegram)"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv.Vote(bob.ID, gid, []byte("0"))
	srv.ClosePoll(gid)
	srv.SetPollResultsError("MESSAGE_ID_INVALID")
	s = connect(t, n, h, info)
	from = h.count()
	if err := s.ClosePoll(ctxT(t), sdk.Call{ChatID: "-77"}, &pb.ClosePoll{TargetId: target}); err != nil {
		t.Errorf("closing a poll closed unseen, no results: %v", err)
	}
	h.wait(t, from, "the poll closed unseen, no results", isCorrection("-77", target, "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 0 votes\n(closed)"))
	barrier("after the second closing")
	if n := h.corrections(from, "-77", target); n != 1 {
		t.Errorf("no results: %d corrections, want 1", n)
	}
}
