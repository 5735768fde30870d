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
		{"notice", &pb.Event{EventId: "n1", Payload: &pb.Event_Notice{Notice: &pb.NoticeEvent{Text: "lost", Level: pb.NoticeLevel_NOTICE_LEVEL_WARNING}}}, 0},
		{"notice without event_id", &pb.Event{Payload: &pb.Event_Notice{Notice: &pb.NoticeEvent{Text: "lost"}}}, 1},
		{"notice of an unknown level", &pb.Event{EventId: "n1", Payload: &pb.Event_Notice{Notice: &pb.NoticeEvent{Text: "lost", Level: 7}}}, 1},
	}
	for _, c := range cases {
		if got := eventFaults(c.ev); len(got) != c.faults {
			t.Errorf("%s: faults %q, want %d", c.name, got, c.faults)
		}
	}
}

// The kit judges a notice by the SDK's rules (sdk.CheckEvent): the
// gateway would drop one with no text, or with a chat_id.
func TestNoticeDropFault(t *testing.T) {
	notice := func(chat, text string) *pb.Event {
		return &pb.Event{LoginId: "l", ChatId: chat, EventId: "n1", Payload: &pb.Event_Notice{Notice: &pb.NoticeEvent{Text: text}}}
	}
	if got := dropFault(notice("", "lost")); got != "" {
		t.Errorf("a good notice: %q, want no fault", got)
	}
	for _, c := range []struct{ chat, text, want string }{
		{"", "", "a notice event with no text"},
		{"c", "lost", "a notice belongs to no chat"},
	} {
		if got := dropFault(notice(c.chat, c.text)); !strings.Contains(got, c.want) {
			t.Errorf("notice (chat %q, text %q): %q, want %q", c.chat, c.text, got, c.want)
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
