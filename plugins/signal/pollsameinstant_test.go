package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Two polls of one millisecond, by bob and by carol in one group, stay
// apart: a vote names its poll by its author and timestamp and corrects
// that poll only, before and after a restart (each poll its own file);
// a vote from XMPP names the poll replied to, its author too; carol's
// end closes hers, not bob's. The user's own poll and bob's of one
// millisecond too: "/poll-close" on the user's closes it.
func TestPollsOfOneMillisecond(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	const where = "(vote with a reply: /vote 1, or on your phone)"
	inGroup := &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}

	at := d.Now()
	for _, p := range []struct{ from, aci, question string }{{bob, bobACI, "Picnic"}, {carol, carolACI, "Lunch"}} {
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: p.from, SourceUUID: p.aci, Timestamp: at, DataMessage: &fakesignal.DataMessage{
			Timestamp: at, GroupInfo: inGroup, PollCreate: map[string]any{"question": p.question, "options": []string{"One", "Two"}}}})
	}
	s.next(isText("Poll: Picnic\n1. One\n2. Two\n" + where))
	carols := s.next(isText("Poll: Lunch\n1. One\n2. Two\n" + where))

	// vote delivers from's vote in the poll of author at ts and checks
	// the correction of that poll alone.
	vote := func(from, fromACI, author, authorACI string, ts int64, count int, option int, want string) {
		t.Helper()
		v := d.Now()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: from, SourceUUID: fromACI, Timestamp: v, DataMessage: &fakesignal.DataMessage{
			Timestamp: v, GroupInfo: inGroup, PollVote: &fakesignal.PollVote{AuthorNumber: author, AuthorUUID: authorACI,
				TargetSentTimestamp: ts, OptionIndexes: []int{option}, VoteCount: count}}})
		ev := s.editEvent(v)
		if ed := ev.GetEdit(); ed.TargetId != mid(ts, authorACI) || ev.Sender.GetUserId() != author || ed.Text != want {
			t.Fatalf("vote of %s in %s's poll: correction %v, want of %s:\n%s", from, author, ev, mid(ts, authorACI), want)
		}
	}
	vote(carol, carolACI, bob, bobACI, at, 1, 0, "Poll: Picnic\n1. One: 1 vote\n2. Two: 0 votes\n"+where)
	vote(bob, bobACI, carol, carolACI, at, 1, 1, "Poll: Lunch\n1. One: 0 votes\n2. Two: 1 vote\n"+where)

	s.crash()
	vote(bob, bobACI, bob, bobACI, at, 1, 0, "Poll: Picnic\n1. One: 2 votes\n2. Two: 0 votes\n"+where)

	// The user votes in carol's poll from XMPP.
	if res := s.do(group, &pb.Vote{TargetId: carols.EventId, TargetMeta: carols.Meta, Choices: []string{"1"}}); res.Error != nil {
		t.Fatalf("vote in carol's poll: %v", res.Error)
	}
	req, _ := lastRequest(d, "sendPollVote")
	if req.Params["pollAuthor"] != carol || req.Params["pollTimestamp"] != float64(at) {
		t.Fatalf("sendPollVote %v, want carol's poll at %d", req.Params, at)
	}
	if ev := s.editEvent(req.Timestamp); ev.GetEdit().GetTargetId() != carols.EventId ||
		ev.GetEdit().GetText() != "Poll: Lunch\n1. One: 1 vote\n2. Two: 1 vote\n"+where {
		t.Fatalf("correction of the user's vote: %v, want of carol's poll", ev)
	}

	// Carol ends her poll: bob's stays open.
	end := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, Timestamp: end, DataMessage: &fakesignal.DataMessage{
		Timestamp: end, GroupInfo: inGroup, PollTerminate: &fakesignal.PollTerminate{TargetSentTimestamp: at}}})
	if ev := s.editEvent(end); ev.GetEdit().GetTargetId() != carols.EventId ||
		ev.GetEdit().GetText() != "Poll: Lunch\n1. One: 1 vote\n2. Two: 1 vote\n(closed)" {
		t.Fatalf("carol's end: %v, want her poll closed", ev)
	}
	vote(carol, carolACI, bob, bobACI, at, 2, 1, "Poll: Picnic\n1. One: 1 vote\n2. Two: 1 vote\n"+where)

	// The user's poll, and bob's of the same millisecond.
	res, start := s.startPoll(group, &pb.Poll{Question: "Tea?", Options: []string{"Yes", "No"}})
	mine := start.Timestamp
	s.myPollCorrection(mine, mine, group, "Poll: Tea?\n1. Yes\n2. No\n"+where)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: mine, DataMessage: &fakesignal.DataMessage{
		Timestamp: mine, GroupInfo: inGroup, PollCreate: map[string]any{"question": "Coffee?", "options": []string{"Yes", "No"}}}})
	s.next(isText("Poll: Coffee?\n1. Yes\n2. No\n" + where))
	if r := s.closePoll(group, mine, res.Meta); r.Error != nil {
		t.Fatalf("close the user's poll: %v", r.Error)
	}
	closed, _ := lastRequest(d, "sendPollTerminate")
	s.myPollCorrection(closed.Timestamp, mine, group, "Poll: Tea?\n1. Yes: 0 votes\n2. No: 0 votes\n(closed)")
	vote(carol, carolACI, bob, bobACI, mine, 1, 0, "Poll: Coffee?\n1. Yes: 1 vote\n2. No: 0 votes\n"+where)
}
