package plugintest

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

func TestEventFaults(t *testing.T) {
	msg := func(m *pb.MessageEvent) *pb.Event { return &pb.Event{Payload: &pb.Event_Message{Message: m}} }
	cases := []struct {
		name   string
		ev     *pb.Event
		faults int
	}{
		{"plain", msg(&pb.MessageEvent{Text: "hi"}), 0},
		{"reply with quote", msg(&pb.MessageEvent{Text: "yes", ReplyToId: "m1", QuoteText: "ok?", QuoteAuthorId: "bob"}), 0},
		{"own quote", msg(&pb.MessageEvent{Text: "yes", ReplyToId: "m1", QuoteText: "ok?", QuoteFromMe: true}), 0},
		{"quote without reply", msg(&pb.MessageEvent{Text: "yes", QuoteText: "ok?"}), 1},
		{"author without reply", msg(&pb.MessageEvent{Text: "yes", QuoteAuthorId: "bob"}), 1},
		{"two authors", msg(&pb.MessageEvent{Text: "yes", ReplyToId: "m1", QuoteAuthorId: "bob", QuoteFromMe: true}), 1},
		{"not a message", &pb.Event{Payload: &pb.Event_Typing{Typing: &pb.TypingEvent{}}}, 0},
	}
	for _, c := range cases {
		if got := eventFaults(c.ev); len(got) != c.faults {
			t.Errorf("%s: faults %q, want %d", c.name, got, c.faults)
		}
	}
}

// The kit judges a history batch by the SDK's rules
// (sdk.CheckHistoryBatch, tested there), saying the gateway would refuse
// it.
func TestBatchFault(t *testing.T) {
	msg := &pb.Event_Message{Message: &pb.MessageEvent{Text: "old"}}
	if got := batchFault(&pb.HistoryBatch{LoginId: "l", ChatId: "c", Done: true, Events: []*pb.Event{{EventId: "e", Payload: msg}}}); got != "" {
		t.Errorf("a good batch: %q, want no fault", got)
	}
	const want = "the gateway would refuse it: a history batch that is not done needs its cursor"
	if got := batchFault(&pb.HistoryBatch{LoginId: "l", ChatId: "c", Events: []*pb.Event{{EventId: "e", Payload: msg}}}); !strings.HasPrefix(got, want) {
		t.Errorf("a batch with no cursor: %q, want %q", got, want)
	}
}
