package signal_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// pollCorrection waits for the edit made at ts (Unix ms) and checks it
// corrects the poll message of bob at target in chat, its text want.
func (s *session) pollCorrection(ts, target int64, chat, want string) {
	s.t.Helper()
	ev := s.editEvent(ts)
	if ed := ev.GetEdit(); ed.TargetId != mid(target, bobACI) || ev.ChatId != chat || ev.Sender.GetUserId() != bob || ed.Text != want {
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
	s.next(isText(text("1. Sat\n2. Sun\n3. Mon", "(vote with a reply: /vote 1, or on your phone)")))

	at := vote(carol, carolACI, poll, 1, 1)
	s.pollCorrection(at, poll, group, text("1. Sat: 0 votes\n2. Sun: 1 vote\n3. Mon: 0 votes", "(vote with a reply: /vote 1, or on your phone)"))

	// The user's own vote, from the phone.
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, Timestamp: at, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DataMessage: fakesignal.DataMessage{Timestamp: at, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"},
			PollVote: &fakesignal.PollVote{AuthorNumber: bob, AuthorUUID: bobACI, TargetSentTimestamp: poll, OptionIndexes: []int{1}, VoteCount: 1}}}}})
	s.pollCorrection(at, poll, group, text("1. Sat: 0 votes\n2. Sun: 2 votes\n3. Mon: 0 votes", "(vote with a reply: /vote 1, or on your phone)"))

	// Carol changes her mind: her newer vote replaces the older.
	at = vote(carol, carolACI, poll, 2, 0)
	s.pollCorrection(at, poll, group, text("1. Sat: 1 vote\n2. Sun: 1 vote\n3. Mon: 0 votes", "(vote with a reply: /vote 1, or on your phone)"))

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
	s.next(isText(text("1. Sat\n2. Sun", "(vote with a reply: /vote 1, or on your phone)")))
	at := vote(carol, carolACI, poll, 1, 1)
	s.pollCorrection(at, poll, group, text("1. Sat: 0 votes\n2. Sun: 1 vote", "(vote with a reply: /vote 1, or on your phone)"))

	s.crash()
	at = vote(bob, bobACI, poll, 1, 0)
	s.pollCorrection(at, poll, group, text("1. Sat: 1 vote\n2. Sun: 1 vote", "(vote with a reply: /vote 1, or on your phone)"))
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

// voteRequests counts alice's sendPollVote requests.
func voteRequests(d *fakesignal.Daemon) int {
	n := 0
	for _, r := range d.Requests(alice) {
		if r.Method == "sendPollVote" {
			n++
		}
	}
	return n
}

// The user votes from XMPP (Vote, the gateway's "/vote 2"): by an
// option's number as the poll's text lists it or by its text, as
// signal-cli's sendPollVote naming the poll's author and timestamp, the
// options' indexes and a vote count past the user's latest (from the
// phone too); the poll's message is corrected once with the vote
// counted, and no choice takes the vote back. A choice the poll has
// not, two in a poll of one answer, a poll not known, a closed poll are
// refused, and nothing goes to Signal.
func TestPollVoteFromXMPP(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	deliver, vote := groupPolls(d, gid)
	const where = "(vote with a reply: /vote 1, or on your phone)"
	text := func(counts, end string) string { return "Poll: Picnic\n" + counts + "\n" + end }

	poll := deliver(bob, bobACI, fakesignal.DataMessage{PollCreate: map[string]any{"question": "Picnic", "options": []string{"Sat", "Sun", "Mon"}}})
	s.next(isText(text("1. Sat\n2. Sun\n3. Mon", where)))
	at := vote(carol, carolACI, poll, 1, 1)
	s.pollCorrection(at, poll, group, text("1. Sat: 0 votes\n2. Sun: 1 vote\n3. Mon: 0 votes", where))

	// ok votes choices and checks the request and the correction.
	ok := func(choices []string, options []float64, count float64, counts string) {
		t.Helper()
		if res := s.do(group, &pb.Vote{TargetId: itoa(poll), TargetMeta: []byte(`{"a":"` + bob + `","t":` + itoa(poll) + `}`), Choices: choices}); res.Error != nil {
			t.Fatalf("vote %q: %v", choices, res.Error)
		}
		req, _ := lastRequest(d, "sendPollVote")
		if g := anyStrings(req.Params["groupId"]); len(g) != 1 || g[0] != gid || req.Params["pollAuthor"] != bob ||
			req.Params["pollTimestamp"] != float64(poll) || req.Params["voteCount"] != count || fmt.Sprint(req.Params["options"]) != fmt.Sprint(options) {
			t.Fatalf("vote %q: request %v, want group %s, author %s, timestamp %d, options %v, count %v", choices, req.Params, gid, bob, poll, options, count)
		}
		s.pollCorrection(req.Timestamp, poll, group, text(counts, where))
	}
	ok([]string{"1"}, []float64{0}, 1, "1. Sat: 1 vote\n2. Sun: 1 vote\n3. Mon: 0 votes")
	s.noCorrectionBefore(gid, "once") // the vote is counted once
	ok([]string{" mon "}, []float64{2}, 2, "1. Sat: 0 votes\n2. Sun: 1 vote\n3. Mon: 1 vote")

	// A vote from the phone: the next from XMPP counts past it.
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, Timestamp: at, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DataMessage: fakesignal.DataMessage{Timestamp: at, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"},
			PollVote: &fakesignal.PollVote{AuthorNumber: bob, AuthorUUID: bobACI, TargetSentTimestamp: poll, OptionIndexes: []int{1}, VoteCount: 7}}}}})
	s.pollCorrection(at, poll, group, text("1. Sat: 0 votes\n2. Sun: 2 votes\n3. Mon: 0 votes", where))
	ok([]string{"SAT"}, []float64{0}, 8, "1. Sat: 1 vote\n2. Sun: 1 vote\n3. Mon: 0 votes")

	// Refused, naming the options; nothing sent.
	sent := voteRequests(d)
	for _, c := range []struct {
		choices []string
		target  int64
		code    pb.ErrorCode
		says    string
	}{
		{[]string{"4"}, poll, pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "1. Sat, 2. Sun, 3. Mon"},
		{[]string{"Tue"}, poll, pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "1. Sat, 2. Sun, 3. Mon"},
		{[]string{"0"}, poll, pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "1. Sat, 2. Sun, 3. Mon"},
		{[]string{"1", "Sun"}, poll, pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "one answer"},
		{[]string{"1"}, poll - 1000, pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no poll"},
		{[]string{"1"}, at, pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no poll"}, // the phone's vote: no poll
	} {
		res := s.do(group, &pb.Vote{TargetId: itoa(c.target), Choices: c.choices})
		if res.Error.GetCode() != c.code || !strings.Contains(res.Error.GetText(), c.says) {
			t.Fatalf("vote %q in %d: %v, want %v saying %q", c.choices, c.target, res.Error, c.code, c.says)
		}
	}
	// The poll in another chat than its own: not known there.
	if res := s.do(bob, &pb.Vote{TargetId: itoa(poll), Choices: []string{"1"}}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Fatalf("vote in another chat: %v, want NOT_FOUND", res.Error)
	}
	if n := voteRequests(d); n != sent {
		t.Fatalf("%d votes sent for refused ones", n-sent)
	}

	// No choice takes the vote back.
	ok(nil, []float64{}, 9, "1. Sat: 0 votes\n2. Sun: 1 vote\n3. Mon: 0 votes")

	// Closed: refused.
	at = deliver(bob, bobACI, fakesignal.DataMessage{PollTerminate: &fakesignal.PollTerminate{TargetSentTimestamp: poll}})
	s.pollCorrection(at, poll, group, text("1. Sat: 0 votes\n2. Sun: 1 vote\n3. Mon: 0 votes", "(closed)"))
	if res := s.do(group, &pb.Vote{TargetId: itoa(poll), Choices: []string{"1"}}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED ||
		!strings.Contains(res.Error.GetText(), "closed") {
		t.Fatalf("vote in a closed poll: %v, want NOT_ALLOWED", res.Error)
	}
	if n := voteRequests(d); n != sent+1 {
		t.Fatalf("%d votes sent, want %d", n, sent+1)
	}

	// A poll of several answers, in a direct chat: several choices.
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{Timestamp: at,
		PollCreate: map[string]any{"question": "Food", "allowMultiple": true, "options": []string{"Pizza", "Soup", "Cake"}}}})
	s.next(isText("Poll: Food (several answers allowed)\n1. Pizza\n2. Soup\n3. Cake\n" + where))
	if res := s.do(bob, &pb.Vote{TargetId: itoa(at), Choices: []string{"3", "pizza", "1"}}); res.Error != nil {
		t.Fatalf("vote in a poll of several answers: %v", res.Error)
	}
	req, _ := lastRequest(d, "sendPollVote")
	if r := anyStrings(req.Params["recipient"]); len(r) != 1 || r[0] != bob || fmt.Sprint(req.Params["options"]) != "[0 2]" || req.Params["voteCount"] != float64(1) {
		t.Fatalf("request %v, want to %s options [0 2] (in the poll's order), count 1", req.Params, bob)
	}
	ev := s.editEvent(req.Timestamp)
	if ed := ev.GetEdit(); ev.ChatId != bob || ed.TargetId != mid(at, bobACI) || ed.Text != "Poll: Food (several answers allowed)\n1. Pizza: 1 vote\n2. Soup: 0 votes\n3. Cake: 1 vote\n"+where {
		t.Fatalf("correction %v", ev)
	}

	// A signal-cli before 0.13.23 has no sendPollVote: refused, saying
	// which it takes.
	d.Forget("sendPollVote")
	if res := s.do(bob, &pb.Vote{TargetId: itoa(at), Choices: []string{"2"}}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED ||
		!strings.Contains(res.Error.GetText(), "0.13.23") {
		t.Fatalf("vote with an older signal-cli: %v, want UNSUPPORTED naming 0.13.23", res.Error)
	}
}
