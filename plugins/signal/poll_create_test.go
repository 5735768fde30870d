package signal_test

import (
	"fmt"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// myPollCorrection waits for the edit made at ts (Unix ms) and checks it
// corrects the user's own poll message at target in chat, its text want.
func (s *session) myPollCorrection(ts, target int64, chat, want string) {
	s.t.Helper()
	ev := s.editEvent(ts)
	if ed := ev.GetEdit(); ed.TargetId != mid(target, alice) || ev.ChatId != chat || ev.Sender.GetUserId() != alice || !ev.Sender.GetIsFromMe() || ed.Text != want {
		s.t.Fatalf("correction %v, want of %d in %s by the user:\n%s", ev, target, chat, want)
	}
}

// startPoll starts the poll p in chat and returns the result and the
// sendPollCreate request it made.
func (s *session) startPoll(chat string, p *pb.Poll) (*pb.CommandResult, fakesignal.Request) {
	s.t.Helper()
	res := s.do(chat, &pb.SendMessage{Poll: p})
	if res.Error != nil {
		s.t.Fatalf("poll %q in %s: %v", p.Question, chat, res.Error)
	}
	req, ok := lastRequest(s.d, "sendPollCreate")
	if !ok || res.MessageId != mid(req.Timestamp, alice) || !strings.Contains(string(res.Meta), `"a":"`+alice+`"`) {
		s.t.Fatalf("poll %q: result %v, request %v (%v): want the poll's message named by its timestamp, from the user", p.Question, res, req, ok)
	}
	return res, req
}

// The user starts a poll from XMPP (StartPoll, the gateway's "/poll"):
// signal-cli's sendPollCreate with the question, the options and
// noMulti for a poll of one answer, the poll's message named by the
// send's timestamp. The user's message is corrected at once to the poll
// as Signal shows it, then with the counts as votes come: from others
// in the group or the direct chat, and the user's own from XMPP
// (sendPollVote naming the user as the poll's author); all corrections
// are the user's own (IsFromMe), and the poll outlives a restart.
func TestStartPoll(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	const where = "(vote with a reply: /vote 1, or on your phone)"
	text := func(head, options string) string { return "Poll: " + head + "\n" + options + "\n" + where }

	res, req := s.startPoll(group, &pb.Poll{Question: "Lunch?", Options: []string{"Pizza", "Sushi", "Soup"}})
	if g := anyStrings(req.Params["groupId"]); len(g) != 1 || g[0] != gid || req.Params["question"] != "Lunch?" ||
		fmt.Sprint(req.Params["options"]) != "[Pizza Sushi Soup]" || req.Params["noMulti"] != true || req.Params["recipient"] != nil {
		t.Fatalf("sendPollCreate %v, want to group %s, Lunch? [Pizza Sushi Soup], noMulti", req.Params, gid)
	}
	poll := req.Timestamp
	s.myPollCorrection(poll, poll, group, text("Lunch?", "1. Pizza\n2. Sushi\n3. Soup"))

	// Bob votes, naming the user as the poll's author.
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"},
		PollVote: &fakesignal.PollVote{AuthorNumber: alice, AuthorUUID: aliceACI, TargetSentTimestamp: poll, OptionIndexes: []int{1}, VoteCount: 1}}})
	s.myPollCorrection(at, poll, group, text("Lunch?", "1. Pizza: 0 votes\n2. Sushi: 1 vote\n3. Soup: 0 votes"))

	// The user votes from XMPP in their own poll.
	if r := s.do(group, &pb.Vote{TargetId: res.MessageId, TargetMeta: res.Meta, Choices: []string{"1"}}); r.Error != nil {
		t.Fatalf("vote in the user's poll: %v", r.Error)
	}
	vote, _ := lastRequest(d, "sendPollVote")
	if vote.Params["pollAuthor"] != alice || vote.Params["pollTimestamp"] != float64(poll) || fmt.Sprint(vote.Params["options"]) != "[0]" || vote.Params["voteCount"] != float64(1) {
		t.Fatalf("sendPollVote %v, want author %s, timestamp %d, options [0], count 1", vote.Params, alice, poll)
	}
	s.myPollCorrection(vote.Timestamp, poll, group, text("Lunch?", "1. Pizza: 1 vote\n2. Sushi: 1 vote\n3. Soup: 0 votes"))

	// After a restart (SIGKILL), carol's vote counts with the others.
	s.crash()
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"},
		PollVote: &fakesignal.PollVote{AuthorUUID: aliceACI, TargetSentTimestamp: poll, OptionIndexes: []int{2}, VoteCount: 1}}})
	s.myPollCorrection(at, poll, group, text("Lunch?", "1. Pizza: 1 vote\n2. Sushi: 1 vote\n3. Soup: 1 vote"))

	// To a contact, several answers allowed: no noMulti.
	_, req = s.startPoll(bob, &pb.Poll{Question: "Which days", Options: []string{"Mon", "Tue", "Wed"}, Multiple: true})
	if r := anyStrings(req.Params["recipient"]); len(r) != 1 || r[0] != bob || req.Params["groupId"] != nil || req.Params["noMulti"] != nil ||
		fmt.Sprint(req.Params["options"]) != "[Mon Tue Wed]" {
		t.Fatalf("sendPollCreate %v, want to %s, [Mon Tue Wed], no noMulti", req.Params, bob)
	}
	direct := req.Timestamp
	s.myPollCorrection(direct, direct, bob, text("Which days (several answers allowed)", "1. Mon\n2. Tue\n3. Wed"))
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, PollVote: &fakesignal.PollVote{AuthorNumber: alice, AuthorUUID: aliceACI, TargetSentTimestamp: direct, OptionIndexes: []int{0, 2}, VoteCount: 1}}})
	s.myPollCorrection(at, direct, bob, text("Which days (several answers allowed)", "1. Mon: 1 vote\n2. Tue: 0 votes\n3. Wed: 1 vote"))
}

// What Signal does not take is refused before anything goes: more than
// 10 options (the SDK allows 12), an option past 100 characters; a
// signal-cli before 0.13.23, which has no sendPollCreate, is answered
// UNSUPPORTED naming the version needed.
func TestStartPollRefused(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	eleven := strings.Split("a b c d e f g h i j k", " ")
	for _, c := range []struct {
		options []string
		says    string
	}{
		{eleven, "at most 10 options"},
		{[]string{"short", strings.Repeat("é", 101)}, "100 characters"},
		// 100 runes, 101 UTF-16 code units: Java's length.
		{[]string{"short", strings.Repeat("x", 99) + "😀"}, "100 characters"},
	} {
		res := s.do(group, &pb.SendMessage{Poll: &pb.Poll{Question: "Q?", Options: c.options}})
		if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(res.Error.GetText(), c.says) {
			t.Errorf("poll of %d options: %v, want BAD_REQUEST saying %q", len(c.options), res.Error, c.says)
		}
	}
	if n := d.Calls("sendPollCreate"); n != 0 {
		t.Fatalf("%d sendPollCreate requests for refused polls", n)
	}
	// Ten options of 100 characters each (an emoji counts 2, as in
	// Java): taken.
	ten := eleven[:10]
	ten[0] = strings.Repeat("x", 98) + "😀"
	s.startPoll(group, &pb.Poll{Question: "Q?", Options: ten})

	d.Forget("sendPollCreate")
	res := s.do(bob, &pb.SendMessage{Poll: &pb.Poll{Question: "Q?", Options: []string{"A", "B"}}})
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED || !strings.Contains(res.Error.GetText(), "0.13.23") {
		t.Fatalf("poll with an older signal-cli: %v, want UNSUPPORTED naming 0.13.23", res.Error)
	}
}

// In a group where the user is no admin, polls are theirs to start, to
// vote in and to close, as any message (the group's limits had neither); a poll
// in a chat with a disappearing messages timer expires as a message
// sent there.
func TestPollsAsMember(t *testing.T) {
	d, _ := startFake(t)
	gid := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: "Club", Timer: 3600,
		Members: []fakesignal.Member{{Number: bob, UUID: bobACI, Admin: true}, {Number: alice, UUID: aliceACI}}})
	s := newSession(t, d)
	group := hexGroup(gid)
	// The group known, with its limits, before anything is asked.
	ctx, cancel := s.p.CallContext()
	defer cancel()
	if chat, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group}); err != nil || chat.ReadOnly {
		t.Fatalf("ChatInfo: %v %v", chat, err)
	}

	res, req := s.startPoll(group, &pb.Poll{Question: "Lunch?", Options: []string{"Pizza", "Sushi"}})
	if want := (req.Timestamp + 3600*1000) * 1000; res.ExpiresUnixMicro != want || req.ExpiresInSeconds != 3600 {
		t.Fatalf("poll in a group of a 1 h timer: expires at %d (sent with %d s), want %d", res.ExpiresUnixMicro, req.ExpiresInSeconds, want)
	}
	poll := req.Timestamp
	if r := s.do(group, &pb.Vote{TargetId: res.MessageId, TargetMeta: res.Meta, Choices: []string{"Sushi"}}); r.Error != nil {
		t.Fatalf("vote as a member: %v", r.Error)
	}
	vote, _ := lastRequest(d, "sendPollVote")
	s.myPollCorrection(vote.Timestamp, poll, group, "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n(vote with a reply: /vote 1, or on your phone)")
	if r := s.closePoll(group, poll, res.Meta); r.Error != nil {
		t.Fatalf("close as a member: %v", r.Error)
	}
	end, _ := lastRequest(d, "sendPollTerminate")
	s.myPollCorrection(end.Timestamp, poll, group, "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n(closed)")
}
