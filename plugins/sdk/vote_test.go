package sdk

import (
	"context"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// voter is a rich session that also votes in polls.
type voter struct{ rich }

func (v *voter) Vote(_ context.Context, c Call, vote *pb.Vote) error {
	v.log("vote " + c.ChatID + " " + vote.TargetId + " [" + strings.Join(vote.Choices, ",") + "] " + string(vote.TargetMeta))
	return nil
}

// Vote: the feature poll_vote follows the session type; the command
// reaches the session with its poll, metadata and choices (none: the
// vote taken back); one naming no poll is refused before it; a chat
// whose limits leave poll_vote out refuses it as NOT_ALLOWED; a session
// without it answers UNSUPPORTED, even when it claims the feature.
func TestVote(t *testing.T) {
	var s *voter
	c := startServer(t, newConnectorTransport[*voter](&testNet[*voter]{mk: func(l LoginInfo) *voter {
		s = &voter{rich{plain{info: l}}}
		return s
	}}), "")
	caps, err := c.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !caps.Features.PollVote {
		t.Errorf("features %v: want poll_vote", caps.Features)
	}
	connectLogin(t, c, "a")
	vote := func(chat, target string, choices ...string) *pb.Command {
		return &pb.Command{LoginId: "a", ChatId: chat, Action: &pb.Command_Vote{Vote: &pb.Vote{TargetId: target, TargetMeta: []byte("m"), Choices: choices}}}
	}
	res := send(t, c, vote("g", "p1", "2", "Pizza"), vote("g", "p1"), vote("g", "", "1"), vote("quiet", "p2", "1"))
	if res[0].Error != nil || res[1].Error != nil {
		t.Errorf("votes in g: %v %v", res[0].Error, res[1].Error)
	}
	if e := res[2].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("a vote naming no poll: %v, want BAD_REQUEST", e)
	}
	if e := res[3].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(e.GetText(), "polls") {
		t.Errorf("vote in quiet: %v, want NOT_ALLOWED about polls", e)
	}
	s.mu.Lock()
	got := slices.Clone(s.calls)
	s.mu.Unlock()
	if calls := strings.Join(got, "|"); calls != "connect|vote g p1 [2,Pizza] m|vote g p1 [] m" {
		t.Errorf("session saw %q", calls)
	}

	p := startServer(t, newConnectorTransport[*plain](&testNet[*plain]{claims: &pb.Features{PollVote: true},
		mk: func(l LoginInfo) *plain { return &plain{info: l} }}), "")
	caps, err = p.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if caps.Features.PollVote {
		t.Error("a session without Vote advertises poll_vote")
	}
	connectLogin(t, p, "a")
	if e := send(t, p, vote("g", "p1", "1"))[0].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		t.Errorf("without Vote: %v, want UNSUPPORTED", e)
	}
}
