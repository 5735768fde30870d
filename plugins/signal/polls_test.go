package signal_test

import (
	"os"
	"path/filepath"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// pollCorrection waits for the edit made at ts (Unix ms) and checks it
// corrects the poll message of bob at target in chat, its text want.
func (s *session) pollCorrection(ts, target int64, chat, want string) {
	s.t.Helper()
	ev := s.editEvent(ts)
	if ed := ev.GetEdit(); ed.TargetId != itoa(target) || ev.ChatId != chat || ev.Sender.GetUserId() != bob || ed.Text != want {
		s.t.Fatalf("correction %v, want of %d in %s by %s:\n%s", ev, target, chat, bob, want)
	}
}

// noCorrectionBefore delivers a message of bob in the group and checks
// that no correction came before it: what was delivered before changed
// nothing (envelopes are handled in order).
func (s *session) noCorrectionBefore(gid, marker string) {
	s.t.Helper()
	s.d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text(marker), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetEdit() != nil || ev.GetMessage().GetText() == marker }); ev.GetEdit() != nil {
		s.t.Fatalf("before %q: a correction %v, want none", marker, ev)
	}
}

// groupPolls returns how a test delivers to alice, in the group gid, a
// data message (deliver) and a vote in a poll of bob's sent at target
// (vote); each returns the envelope's time, Unix ms.
func groupPolls(d *fakesignal.Daemon, gid string) (deliver func(from, fromACI string, dm fakesignal.DataMessage) int64,
	vote func(from, fromACI string, target int64, count int, options ...int) int64) {
	inGroup := &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}
	deliver = func(from, fromACI string, dm fakesignal.DataMessage) int64 {
		at := d.Now()
		dm.Timestamp, dm.GroupInfo = at, inGroup
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: from, SourceUUID: fromACI, Timestamp: at, DataMessage: &dm})
		return at
	}
	vote = func(from, fromACI string, target int64, count int, options ...int) int64 {
		return deliver(from, fromACI, fakesignal.DataMessage{PollVote: &fakesignal.PollVote{
			AuthorNumber: bob, AuthorUUID: bobACI, TargetSentTimestamp: target, OptionIndexes: options, VoteCount: count}})
	}
	return deliver, vote
}

// A poll's votes and its end come as corrections of the poll's message,
// its counts as they stand: each voter's newest vote counts once (the
// user's own, from the phone, too), a vote older than one counted or a
// vote for a poll not known changes nothing, and only the poll's author
// ends it.
func TestPollVotes(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	deliver, vote := groupPolls(d, gid)
	text := func(counts, end string) string {
		return "Poll: Picnic\n" + counts + "\n" + end + "\n\nwhich day?"
	}

	poll := deliver(bob, bobACI, fakesignal.DataMessage{Message: fakesignal.Text("which day?"),
		PollCreate: map[string]any{"question": "Picnic", "options": []string{"Sat", "Sun", "Mon"}}})
	s.next(isText(text("1. Sat\n2. Sun\n3. Mon", "(vote on your phone)")))

	at := vote(carol, carolACI, poll, 1, 1)
	s.pollCorrection(at, poll, group, text("1. Sat: 0 votes\n2. Sun: 1 vote\n3. Mon: 0 votes", "(vote on your phone)"))

	// The user's own vote, from the phone.
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, Timestamp: at, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DataMessage: fakesignal.DataMessage{Timestamp: at, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"},
			PollVote: &fakesignal.PollVote{AuthorNumber: bob, AuthorUUID: bobACI, TargetSentTimestamp: poll, OptionIndexes: []int{1}, VoteCount: 1}}}}})
	s.pollCorrection(at, poll, group, text("1. Sat: 0 votes\n2. Sun: 2 votes\n3. Mon: 0 votes", "(vote on your phone)"))

	// Carol changes her mind: her newer vote replaces the older.
	at = vote(carol, carolACI, poll, 2, 0)
	s.pollCorrection(at, poll, group, text("1. Sat: 1 vote\n2. Sun: 1 vote\n3. Mon: 0 votes", "(vote on your phone)"))

	// Her first vote again, arriving late, an end by someone else than
	// the poll's author, a vote for a poll not known (sent before a
	// restart, say): nothing.
	vote(carol, carolACI, poll, 1, 2)
	deliver(carol, carolACI, fakesignal.DataMessage{PollTerminate: &fakesignal.PollTerminate{TargetSentTimestamp: poll}})
	vote(carol, carolACI, poll-1000, 3, 0)
	// Options the poll has not, or two in a poll of one answer: not
	// counted, the plugin unharmed.
	vote(bob, bobACI, poll, 1, 0, 1)
	vote(bob, bobACI, poll, 2, 5, -1)
	s.noCorrectionBefore(gid, "marker")

	at = deliver(bob, bobACI, fakesignal.DataMessage{PollTerminate: &fakesignal.PollTerminate{TargetSentTimestamp: poll}})
	s.pollCorrection(at, poll, group, text("1. Sat: 1 vote\n2. Sun: 1 vote\n3. Mon: 0 votes", "(closed)"))
}

// The polls outlive the plugin (SIGKILL): after a restart, a vote and
// the end of a poll seen before correct its message with the votes
// before the restart counted too. A poll's file damaged while the
// plugin is down costs that poll's votes, and nothing else.
func TestPollVotesAfterRestart(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	deliver, vote := groupPolls(d, gid)
	text := func(counts, end string) string { return "Poll: Picnic\n" + counts + "\n" + end }

	poll := deliver(bob, bobACI, fakesignal.DataMessage{PollCreate: map[string]any{"question": "Picnic", "options": []string{"Sat", "Sun"}}})
	s.next(isText(text("1. Sat\n2. Sun", "(vote on your phone)")))
	at := vote(carol, carolACI, poll, 1, 1)
	s.pollCorrection(at, poll, group, text("1. Sat: 0 votes\n2. Sun: 1 vote", "(vote on your phone)"))

	s.crash()
	at = vote(bob, bobACI, poll, 1, 0)
	s.pollCorrection(at, poll, group, text("1. Sat: 1 vote\n2. Sun: 1 vote", "(vote on your phone)"))
	vote(carol, carolACI, poll, 1, 0) // her first vote again: counted already
	s.noCorrectionOf(gid, poll, "after the same vote")
	at = deliver(bob, bobACI, fakesignal.DataMessage{PollTerminate: &fakesignal.PollTerminate{TargetSentTimestamp: poll}})
	s.pollCorrection(at, poll, group, text("1. Sat: 1 vote\n2. Sun: 1 vote", "(closed)"))

	// Another poll, its file damaged while the plugin is down.
	other := deliver(bob, bobACI, fakesignal.DataMessage{PollCreate: map[string]any{"question": "Picnic", "options": []string{"Sat", "Sun"}}})
	s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.TimestampUnixMicro == other*1000 })
	s.p.Kill()
	files, err := filepath.Glob(filepath.Join(s.dir, "polls", "*.json"))
	if err != nil || len(files) != 2 {
		t.Fatalf("poll files %v (%v), want 2", files, err)
	}
	for _, f := range files {
		if err := os.WriteFile(f, []byte(`{"seq":`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s.crash()
	vote(carol, carolACI, other, 1, 0)
	s.noCorrectionOf(gid, other, "after the damaged poll")
}

// noCorrectionOf is noCorrectionBefore for the corrections of the
// message at target alone: events of the process before a crash, not
// acknowledged, may come again first.
func (s *session) noCorrectionOf(gid string, target int64, marker string) {
	s.t.Helper()
	s.d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text(marker), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	if ev := s.next(func(ev *pb.Event) bool {
		return ev.GetEdit().GetTargetId() == itoa(target) || ev.GetMessage().GetText() == marker
	}); ev.GetEdit() != nil {
		s.t.Fatalf("before %q: a correction %v, want none", marker, ev)
	}
}
