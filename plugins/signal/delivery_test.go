package signal_test

import (
	"encoding/json"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
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

// A group message some members got is sent, and the log says who did
// not get it; one no member got is an error naming each and why.
func TestGroupPartlyDelivered(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)

	d.Fail(carol, "UNREGISTERED_FAILURE")
	mine := s.sendToGroup(group, "to bob, not carol")
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
