package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// closePoll sends ClosePoll ("/poll-close" in a reply) for the message
// target (meta: its metadata, nil for none) in chat.
func (s *session) closePoll(chat string, target int64, meta []byte) *pb.CommandResult {
	s.t.Helper()
	return s.cmds.Send(&pb.Command{LoginId: s.loginID, ChatId: chat, TxnId: s.txn(),
		Action: &pb.Command_ClosePoll{ClosePoll: &pb.ClosePoll{TargetId: itoa(target), TargetMeta: meta}}})
}

// terminates counts alice's sendPollTerminate requests.
func terminates(d *fakesignal.Daemon) int {
	n := 0
	for _, r := range d.Requests(alice) {
		if r.Method == "sendPollTerminate" {
			n++
		}
	}
	return n
}

// The user closes their own poll from XMPP (ClosePoll, the gateway's
// "/poll-close" in a reply): signal-cli's sendPollTerminate to the chat
// naming the poll by its timestamp; the poll's message is corrected
// once, to the closed poll with its counts, as the user's own. An echo
// of the end (a sync message, or the phone closing it too) corrects
// nothing more; closing it again succeeds and sends nothing; a vote in
// it is refused from then on, after a restart too. Another's poll is
// refused NOT_ALLOWED, a message that is no poll known NOT_FOUND, and a
// signal-cli before 0.13.23 UNSUPPORTED naming the version: none sends
// anything.
func TestClosePoll(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	deliver, vote := groupPolls(d, gid)
	const where = "(vote with a reply: /vote 1, or on your phone)"
	text := func(options, end string) string { return "Poll: Lunch?\n" + options + "\n" + end }

	if caps := s.p.Caps; !caps.GetFeatures().GetPollClose() {
		t.Fatalf("features %v: want poll_close", caps.GetFeatures())
	}

	res, req := s.startPoll(group, &pb.Poll{Question: "Lunch?", Options: []string{"Pizza", "Sushi"}})
	poll := req.Timestamp
	s.myPollCorrection(poll, poll, group, text("1. Pizza\n2. Sushi", where))
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"},
		PollVote: &fakesignal.PollVote{AuthorNumber: alice, AuthorUUID: aliceACI, TargetSentTimestamp: poll, OptionIndexes: []int{1}, VoteCount: 1}}})
	s.myPollCorrection(at, poll, group, text("1. Pizza: 0 votes\n2. Sushi: 1 vote", where))

	if r := s.closePoll(group, poll, res.Meta); r.Error != nil {
		t.Fatalf("close the user's poll: %v", r.Error)
	}
	end, ok := lastRequest(d, "sendPollTerminate")
	if g := anyStrings(end.Params["groupId"]); !ok || len(g) != 1 || g[0] != gid || end.Params["recipient"] != nil || end.Params["pollTimestamp"] != float64(poll) {
		t.Fatalf("sendPollTerminate %v (%v), want to group %s, pollTimestamp %d", end.Params, ok, gid, poll)
	}
	closed := text("1. Pizza: 0 votes\n2. Sushi: 1 vote", "(closed)")
	s.myPollCorrection(end.Timestamp, poll, group, closed)

	// The same end as a sync message (an echo, or the phone's): no
	// second correction. Closing again: no error, nothing sent, no
	// correction.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, Timestamp: end.Timestamp, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DataMessage: fakesignal.DataMessage{Timestamp: end.Timestamp, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"},
			PollTerminate: &fakesignal.PollTerminate{TargetSentTimestamp: poll}}}}})
	if r := s.closePoll(group, poll, res.Meta); r.Error != nil {
		t.Fatalf("close a closed poll: %v, want no error", r.Error)
	}
	s.noCorrectionBefore(gid, "after the close")
	if n := terminates(d); n != 1 {
		t.Fatalf("%d sendPollTerminate requests, want 1", n)
	}
	if r := s.do(group, &pb.Vote{TargetId: res.MessageId, TargetMeta: res.Meta, Choices: []string{"1"}}); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Fatalf("vote in the closed poll: %v, want NOT_ALLOWED", r.Error)
	}

	// Refused: bob's poll, a message that is no poll, a poll not known,
	// the poll in another chat than its own.
	bobs := deliver(bob, bobACI, fakesignal.DataMessage{PollCreate: map[string]any{"question": "Picnic", "options": []string{"Sat", "Sun"}}})
	s.next(isText("Poll: Picnic\n1. Sat\n2. Sun\n" + where))
	at = vote(carol, carolACI, bobs, 1, 0)
	s.pollCorrection(at, bobs, group, "Poll: Picnic\n1. Sat: 1 vote\n2. Sun: 0 votes\n"+where)
	plain := s.sendToGroup(group, "no poll")
	for _, c := range []struct {
		chat   string
		target int64
		meta   []byte
		code   pb.ErrorCode
		says   string
	}{
		{group, bobs, []byte(`{"a":"` + bob + `","t":` + itoa(bobs) + `}`), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "not yours"},
		{group, bobs, nil, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "not yours"},
		{group, plain, nil, pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no poll"},
		{group, poll - 1000, nil, pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no poll"},
		{bob, poll, nil, pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no poll"},
	} {
		r := s.closePoll(c.chat, c.target, c.meta)
		if r.Error.GetCode() != c.code || !strings.Contains(r.Error.GetText(), c.says) {
			t.Errorf("close %d in %s: %v, want %v saying %q", c.target, c.chat, r.Error, c.code, c.says)
		}
	}
	if n := terminates(d); n != 1 {
		t.Fatalf("%d sendPollTerminate requests, want 1: none for the refused", n)
	}
	s.noCorrectionBefore(gid, "after the refused")

	// A poll in a direct chat, closed after a restart (SIGKILL): its
	// votes before the restart counted.
	_, req = s.startPoll(bob, &pb.Poll{Question: "Lunch?", Options: []string{"Pizza", "Sushi"}, Multiple: true})
	direct := req.Timestamp
	s.myPollCorrection(direct, direct, bob, "Poll: Lunch? (several answers allowed)\n1. Pizza\n2. Sushi\n"+where)
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, PollVote: &fakesignal.PollVote{AuthorNumber: alice, AuthorUUID: aliceACI, TargetSentTimestamp: direct, OptionIndexes: []int{0, 1}, VoteCount: 1}}})
	s.myPollCorrection(at, direct, bob, "Poll: Lunch? (several answers allowed)\n1. Pizza: 1 vote\n2. Sushi: 1 vote\n"+where)
	s.crash()
	if r := s.closePoll(bob, direct, nil); r.Error != nil {
		t.Fatalf("close in the direct chat: %v", r.Error)
	}
	end, _ = lastRequest(d, "sendPollTerminate")
	if r := anyStrings(end.Params["recipient"]); len(r) != 1 || r[0] != bob || end.Params["groupId"] != nil || end.Params["pollTimestamp"] != float64(direct) {
		t.Fatalf("sendPollTerminate %v, want to %s, pollTimestamp %d", end.Params, bob, direct)
	}
	s.myPollCorrection(end.Timestamp, direct, bob, "Poll: Lunch? (several answers allowed)\n1. Pizza: 1 vote\n2. Sushi: 1 vote\n(closed)")
	// Closed before the restart: still closed after it.
	if r := s.closePoll(group, poll, nil); r.Error != nil {
		t.Fatalf("close the group's poll again after a restart: %v", r.Error)
	}
	if n := terminates(d); n != 2 {
		t.Fatalf("%d sendPollTerminate requests, want 2", n)
	}

	// A signal-cli before 0.13.23.
	_, req = s.startPoll(group, &pb.Poll{Question: "Dinner?", Options: []string{"Soup", "Salad"}})
	s.myPollCorrection(req.Timestamp, req.Timestamp, group, "Poll: Dinner?\n1. Soup\n2. Salad\n"+where)
	d.Forget("sendPollTerminate")
	if r := s.closePoll(group, req.Timestamp, nil); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED || !strings.Contains(r.Error.GetText(), "0.13.23") {
		t.Fatalf("close with an older signal-cli: %v, want UNSUPPORTED naming 0.13.23", r.Error)
	}
	s.noCorrectionBefore(gid, "after the unsupported")
}

// The user's poll closed on the phone (a sync message's pollTerminate)
// corrects its message once, "(closed)" with its counts, as the user's
// own; closing it from XMPP then succeeds without sending anything. A
// poll the phone started is the user's too: closed from XMPP.
func TestPollClosedOnPhone(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	inGroup := &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}
	const where = "(vote with a reply: /vote 1, or on your phone)"

	_, req := s.startPoll(group, &pb.Poll{Question: "Lunch?", Options: []string{"Pizza", "Sushi"}})
	poll := req.Timestamp
	s.myPollCorrection(poll, poll, group, "Poll: Lunch?\n1. Pizza\n2. Sushi\n"+where)
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, Timestamp: at, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DataMessage: fakesignal.DataMessage{Timestamp: at, GroupInfo: inGroup,
			PollTerminate: &fakesignal.PollTerminate{TargetSentTimestamp: poll}}}}})
	s.myPollCorrection(at, poll, group, "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 0 votes\n(closed)")
	if r := s.closePoll(group, poll, nil); r.Error != nil {
		t.Fatalf("close a poll closed on the phone: %v, want no error", r.Error)
	}
	if n := terminates(d); n != 0 {
		t.Fatalf("%d sendPollTerminate requests for a poll closed already", n)
	}
	s.noCorrectionBefore(gid, "after the close")

	// The phone starts a poll; XMPP closes it.
	phone := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, Timestamp: phone, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DataMessage: fakesignal.DataMessage{Timestamp: phone, GroupInfo: inGroup,
			PollCreate: map[string]any{"question": "Tea?", "options": []string{"Yes", "No"}}}}}})
	s.next(isText("Poll: Tea?\n1. Yes\n2. No\n" + where))
	if r := s.closePoll(group, phone, nil); r.Error != nil {
		t.Fatalf("close the phone's poll: %v", r.Error)
	}
	end, _ := lastRequest(d, "sendPollTerminate")
	if end.Params["pollTimestamp"] != float64(phone) {
		t.Fatalf("sendPollTerminate %v, want pollTimestamp %d", end.Params, phone)
	}
	s.myPollCorrection(end.Timestamp, phone, group, "Poll: Tea?\n1. Yes: 0 votes\n2. No: 0 votes\n(closed)")
}

// The user's poll in the chat of a contact known by ACI alone still
// counts their votes and closes once their number is known and the chat
// moved to it (the identity move). (Before: the poll stayed the ACI
// chat's, so their vote from then on was dropped and "/poll-close" in
// the moved chat said it knew no such poll.)
func TestClosePollIdentityMoved(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	const erinACI, erinNum = "e0000000-0000-4000-8000-00000000000e", "+15550000014"
	const where = "(vote with a reply: /vote 1, or on your phone)"
	// Erin writes first, number hidden: the chat is the ACI's.
	d.Deliver(alice, fakesignal.Envelope{SourceUUID: erinACI, SourceName: "Erin", DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("number hidden")}})
	if ev := s.next(isText("number hidden")); ev.ChatId != erinACI {
		t.Fatalf("ACI-only sender: %v", ev)
	}
	_, req := s.startPoll(erinACI, &pb.Poll{Question: "Lunch?", Options: []string{"Pizza", "Sushi"}})
	poll := req.Timestamp
	s.myPollCorrection(poll, poll, erinACI, "Poll: Lunch?\n1. Pizza\n2. Sushi\n"+where)

	d.Deliver(alice, fakesignal.Envelope{SourceNumber: erinNum, SourceUUID: erinACI, SourceName: "Erin", DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("number shared")}})
	if ev := s.next(isText("number shared")); ev.ChatId != erinNum {
		t.Fatalf("after the move: %v", ev)
	}
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: erinNum, SourceUUID: erinACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, PollVote: &fakesignal.PollVote{AuthorNumber: alice, AuthorUUID: aliceACI, TargetSentTimestamp: poll, OptionIndexes: []int{1}, VoteCount: 1}}})
	s.myPollCorrection(at, poll, erinNum, "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n"+where)
	if r := s.closePoll(erinNum, poll, nil); r.Error != nil {
		t.Fatalf("close the poll in the moved chat: %v", r.Error)
	}
	end, _ := lastRequest(d, "sendPollTerminate")
	s.myPollCorrection(end.Timestamp, poll, erinNum, "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n(closed)")
}
