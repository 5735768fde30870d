package sdk

import (
	"context"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// pollStarter is a rich session that also starts polls.
type pollStarter struct{ rich }

func (p *pollStarter) StartPoll(_ context.Context, c Call, poll *pb.Poll) (Result, error) {
	p.log("poll " + c.ChatID + " " + poll.Question + " [" + strings.Join(poll.Options, ",") + "]")
	return Result{MessageID: "poll-1"}, nil
}

// StartPoll: the feature poll_create follows the session type; a send
// with a poll reaches StartPoll (not SendMessage) and its result names
// the poll's message; a poll without a question, with too few or too
// many options, an empty one or one twice is refused before it; a chat
// whose limits leave poll_create out refuses it as NOT_ALLOWED, a
// read-only one as read-only; a session without it answers UNSUPPORTED,
// even when it claims the feature.
func TestStartPoll(t *testing.T) {
	var s *pollStarter
	c := startServer(t, newConnectorTransport[*pollStarter](&testNet[*pollStarter]{mk: func(l LoginInfo) *pollStarter {
		s = &pollStarter{rich{plain{info: l}}}
		return s
	}}), "")
	caps, err := c.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !caps.Features.PollCreate {
		t.Errorf("features %v: want poll_create", caps.Features)
	}
	connectLogin(t, c, "a")
	poll := func(chat, q string, options ...string) *pb.Command {
		return &pb.Command{LoginId: "a", ChatId: chat, Action: &pb.Command_Send{Send: &pb.SendMessage{Poll: &pb.Poll{Question: q, Options: options}}}}
	}
	many := make([]string, MaxPollOptions+1)
	for i := range many {
		many[i] = strings.Repeat("x", i+1)
	}
	res := send(t, c, poll("g", "Lunch?", "Pizza", "Sushi"),
		poll("g", " ", "a", "b"), poll("g", "Q?", "a"), poll("g", "Q?", many...),
		poll("g", "Q?", "a", " "), poll("g", "Q?", "Tea", "tea "),
		poll("quiet", "Q?", "a", "b"), poll("channel", "Q?", "a", "b"))
	if res[0].Error != nil || res[0].MessageId != "poll-1" {
		t.Errorf("poll in g: %v, message %q; want poll-1", res[0].Error, res[0].MessageId)
	}
	for i, why := range []string{"question", "2 to 12", "2 to 12", "empty", "twice"} {
		if e := res[i+1].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(e.GetText(), why) {
			t.Errorf("bad poll %d: %v, want BAD_REQUEST naming %q", i+1, e, why)
		}
	}
	if e := res[6].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(e.GetText(), "polls") {
		t.Errorf("poll in quiet: %v, want NOT_ALLOWED about polls", e)
	}
	if e := res[7].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(e.GetText(), "read-only") {
		t.Errorf("poll in channel: %v, want NOT_ALLOWED, read-only", e)
	}
	s.mu.Lock()
	got := slices.Clone(s.calls)
	s.mu.Unlock()
	if calls := strings.Join(got, "|"); calls != "connect|poll g Lunch? [Pizza,Sushi]" {
		t.Errorf("session saw %q", calls)
	}

	p := startServer(t, newConnectorTransport[*plain](&testNet[*plain]{claims: &pb.Features{PollCreate: true},
		mk: func(l LoginInfo) *plain { return &plain{info: l} }}), "")
	caps, err = p.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if caps.Features.PollCreate {
		t.Error("a session without StartPoll advertises poll_create")
	}
	connectLogin(t, p, "a")
	if e := send(t, p, poll("g", "Q?", "a", "b"))[0].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		t.Errorf("without StartPoll: %v, want UNSUPPORTED", e)
	}
}
