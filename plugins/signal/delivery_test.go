package signal_test

import (
	"encoding/json"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

const eve = "+15550000009" // on no one's contact list

// wantRefused checks a command got the error code with text naming
// what it says.
func wantRefused(t *testing.T, what string, res *pb.CommandResult, code pb.ErrorCode, texts ...string) {
	t.Helper()
	if res.Error.GetCode() != code {
		t.Fatalf("%s: %v, want error %v", what, res, code)
	}
	for _, x := range texts {
		if !strings.Contains(res.Error.Text, x) {
			t.Fatalf("%s: error %q does not say %q", what, res.Error.Text, x)
		}
	}
}

// A send, an edit, a reaction or a retraction signal-cli delivered to
// no recipient is an error of the code its results say (signal-cli
// answers it with an error carrying the results), not a success the
// user would believe; what failed leaves no trace in the plugin's maps.
func TestUndelivered(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)

	// A number not on Signal.
	d.Fail(eve, "UNREGISTERED_FAILURE")
	wantRefused(t, "send to an unregistered number", s.do(eve, &pb.SendMessage{Text: "hello?"}),
		pb.ErrorCode_ERROR_CODE_NOT_FOUND, eve, "not on Signal")

	// An edit carol did not get: her safety number changed.
	res := s.do(carol, &pb.SendMessage{Text: "mine"})
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	mine := atoi(t, res.MessageId)
	d.Fail(carol, "IDENTITY_FAILURE")
	wantRefused(t, "edit to nobody", s.do(carol, &pb.EditMessage{TargetId: itoa(mine), Text: "mine, edited"}),
		pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, carol, "safety number")
	// The edit no one got is not the newest: the next names the original.
	d.Fail(carol, "")
	if res := s.do(carol, &pb.EditMessage{TargetId: itoa(mine), Text: "mine, edited again"}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if req, _ := lastRequest(d, "send"); req.Params["editTimestamp"] != float64(mine) {
		t.Fatalf("edit after a failed one names %v, want the original %d", req.Params["editTimestamp"], mine)
	}

	// A reaction lost to the network is not the user's reaction: a
	// removal after it has nothing to remove.
	meta, _ := json.Marshal(map[string]any{"a": carol, "t": mine})
	d.Fail(carol, "NETWORK_FAILURE")
	wantRefused(t, "reaction to nobody", s.do(carol, &pb.React{TargetId: itoa(mine), TargetMeta: meta, Emojis: []string{"👍"}}),
		pb.ErrorCode_ERROR_CODE_UNAVAILABLE, carol, "network")
	d.Fail(carol, "")
	before := d.Calls("sendReaction")
	if res := s.do(carol, &pb.React{TargetId: itoa(mine), TargetMeta: meta}); res.Error != nil || d.Calls("sendReaction") != before {
		t.Fatalf("removal of a reaction no one got: %v, %d requests, want none", res, d.Calls("sendReaction")-before)
	}

	// A retraction under a rate limit.
	d.Fail(carol, "RATE_LIMIT_FAILURE")
	wantRefused(t, "retraction to nobody", s.do(carol, &pb.Retract{TargetId: itoa(mine)}),
		pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "slow down")
	d.Fail(carol, "")
	if res := s.do(carol, &pb.Retract{TargetId: itoa(mine)}); res.Error != nil {
		t.Fatal(res.Error)
	}
}

// A group message some members got is sent (in part: see
// TestGroupPartlyOtherReasons), and the log says who did not get it;
// one no member got is an error naming each and why.
func TestGroupPartlyDelivered(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)

	d.Fail(carol, "UNREGISTERED_FAILURE")
	res := s.do(group, &pb.SendMessage{Text: "to bob, not carol"})
	if res.MessageId == "" {
		t.Fatalf("a group message bob got: %v, want it sent", res)
	}
	mine := atoi(t, res.MessageId)
	if log := s.p.Stderr(); !strings.Contains(log, "did not get") || !strings.Contains(log, carol) || strings.Contains(log, bob+" (") {
		t.Fatalf("the log does not say carol alone did not get the message:\n%s", log)
	}
	if res := s.do(group, &pb.EditMessage{TargetId: itoa(mine), Text: "edited, to bob"}); res.Error != nil {
		t.Fatal(res.Error)
	}

	d.Fail(bobACI, "IDENTITY_FAILURE")
	wantRefused(t, "group send to nobody", s.do(group, &pb.SendMessage{Text: "to no one"}),
		pb.ErrorCode_ERROR_CODE_UNAVAILABLE, bob, carol, "safety number", "not on Signal")
	wantRefused(t, "group edit to nobody", s.do(group, &pb.EditMessage{TargetId: itoa(mine), Text: "edited, to no one"}),
		pb.ErrorCode_ERROR_CODE_UNAVAILABLE, bob, carol)
}

// A group message that members whose safety number changed did not get
// is sent in part: it has its ID (it is the user's message, which the
// others got) and an error naming them and how to verify it, as
// Signal's apps mark it. Before, only the log said so, and those
// members missed every message without the user knowing.
func TestGroupPartlyUntrusted(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	d.Fail(carol, "IDENTITY_FAILURE")
	res := s.do(hexGroup(gid), &pb.SendMessage{Text: "to bob, not carol"})
	if res.MessageId == "" {
		t.Fatalf("a group message bob got: %v, want it sent (its ID)", res)
	}
	wantRefused(t, "a group message carol did not get", res, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, carol, "safety number", "Mark as verified")
	if strings.Contains(res.Error.Text, bob) {
		t.Fatalf("the error names bob, who got it: %q", res.Error.Text)
	}
}

// A group message that some members did not get for another reason
// than a safety number (a member no longer on Signal, a rate limit, a
// network error on the way to one) is sent in part too: the message
// has its ID, as the others got it, and an error naming each member
// who did not and why, in words that do not call the message failed.
// Before, only the log said so.
func TestGroupPartlyOtherReasons(t *testing.T) {
	const (
		dave, daveACI   = "+15550000021", "d0000000-0000-4000-8000-000000000021"
		erin, erinACI   = "+15550000022", "e0000000-0000-4000-8000-000000000022"
		frank, frankACI = "+15550000023", "f0000000-0000-4000-8000-000000000023"
	)
	d, gid := startFake(t)
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: groupName, Members: []fakesignal.Member{{Number: alice, UUID: aliceACI, Admin: true},
		{Number: bob, UUID: bobACI}, {Number: carol, UUID: carolACI}, {Number: dave, UUID: daveACI}, {Number: erin, UUID: erinACI}, {Number: frank, UUID: frankACI}}})
	s := newSession(t, d)
	group := hexGroup(gid)

	sent := func(what, text string, code pb.ErrorCode, says ...string) *pb.CommandResult {
		t.Helper()
		res := s.do(group, &pb.SendMessage{Text: text})
		if res.MessageId == "" {
			t.Fatalf("%s: %v, want the message sent (its ID): bob got it", what, res)
		}
		wantRefused(t, what, res, code, says...)
		for _, x := range []string{bob, "could not", "failed", "no one"} {
			if strings.Contains(res.Error.Text, x) {
				t.Fatalf("%s: the error %q says %q, of a message bob got", what, res.Error.Text, x)
			}
		}
		return res
	}

	d.Fail(carol, "UNREGISTERED_FAILURE")
	sent("a member no longer on Signal", "carol left Signal", pb.ErrorCode_ERROR_CODE_NOT_FOUND, carol, "not on Signal")
	d.Fail(carol, "")

	d.Fail(dave, "RATE_LIMIT_FAILURE")
	sent("a rate limit on one member", "dave rate limited", pb.ErrorCode_ERROR_CODE_RATE_LIMITED, dave, "slow down", "60 s")
	d.Fail(dave, "")

	d.Fail(erin, "NETWORK_FAILURE")
	sent("a network error on the way to one member", "erin unreachable", pb.ErrorCode_ERROR_CODE_UNAVAILABLE, erin, "network")
	d.Fail(erin, "")

	// Several reasons at once: each member with theirs.
	d.Fail(carol, "UNREGISTERED_FAILURE")
	d.Fail(dave, "PROOF_REQUIRED")
	d.Fail(erin, "NETWORK_FAILURE")
	d.Fail(frank, "IDENTITY_FAILURE")
	sent("several reasons", "to bob alone", pb.ErrorCode_ERROR_CODE_NOT_ALLOWED,
		carol+" is not on Signal", dave, "captcha", erin, "network", frank, "safety number", "Mark as verified")
}

// A poll some members of the group did not get is sent in part too, as
// a message is: it has its ID and an error naming who did not get it.
// Before, only the log said so.
func TestGroupPollPartlySent(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	d.Fail(carol, "NETWORK_FAILURE")
	res := s.do(hexGroup(gid), &pb.SendMessage{Poll: &pb.Poll{Question: "Lunch?", Options: []string{"Pizza", "Sushi"}}})
	if res.MessageId == "" {
		t.Fatalf("a poll bob got: %v, want it sent (its ID)", res)
	}
	wantRefused(t, "a poll carol did not get", res, pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the poll went to the group", carol, "network")
	if strings.Contains(res.Error.Text, bob) {
		t.Fatalf("the error names bob, who got it: %q", res.Error.Text)
	}
}

// An edit, a reaction or a deletion some members of the group did not
// get is done (the others have it: the gateway applies it), and a
// notice from the room itself names who did not get it and why, as the
// error of a message sent in part does. Before, only the log said so.
func TestGroupPartlyOtherCommands(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	res := s.do(group, &pb.SendMessage{Text: "to everyone"})
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	mine := res.MessageId
	d.Fail(carol, "IDENTITY_FAILURE")
	for _, c := range []struct {
		what   string
		action any
		says   string
	}{
		{"an edit", &pb.EditMessage{TargetId: mine, Text: "edited, to bob"}, "edit"},
		{"a reaction", &pb.React{TargetId: mine, Emojis: []string{"👍"}}, "reaction"},
		{"a deletion", &pb.Retract{TargetId: mine}, "deletion"},
	} {
		if res := s.do(group, c.action); res.Error != nil {
			t.Fatalf("%s bob got: %v, want it done", c.what, res.Error)
		}
		ev := s.next(func(ev *pb.Event) bool {
			return ev.ChatId == group && strings.Contains(ev.GetMessage().GetText(), "not to everyone")
		})
		text := ev.GetMessage().Text
		if ev.GetSender().GetUserId() != "" || !strings.Contains(text, c.says) || !strings.Contains(text, carol) ||
			!strings.Contains(text, "safety number") || strings.Contains(text, bob) {
			t.Fatalf("%s carol did not get: notice %v, want one from the room naming carol alone and why", c.what, ev)
		}
	}
}
