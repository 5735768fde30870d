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

// A history batch is judged as the gateway takes it: its events' empty
// login_id and chat_id are the batch's, and what it would refuse is
// named with the field and the contract's limit.
func TestBatchFault(t *testing.T) {
	msg := &pb.Event_Message{Message: &pb.MessageEvent{Text: "old"}}
	cases := []struct {
		name string
		b    *pb.HistoryBatch
		want string // "" = no fault
	}{
		{"filled in by the gateway", &pb.HistoryBatch{LoginId: "l", ChatId: "c", Done: true, Events: []*pb.Event{{EventId: "e", Payload: msg}}}, ""},
		{"no cursor", &pb.HistoryBatch{LoginId: "l", ChatId: "c", Events: []*pb.Event{{EventId: "e", Payload: msg}}}, "not done needs its cursor"},
		{"no chat", &pb.HistoryBatch{LoginId: "l", Cursor: "x"}, "needs its login_id and chat_id"},
		{"another chat's event", &pb.HistoryBatch{LoginId: "l", ChatId: "c", Done: true, Events: []*pb.Event{{ChatId: "d", Payload: msg}}}, `holds event 0 of chat "d"`},
		{"event meta", &pb.HistoryBatch{LoginId: "l", ChatId: "c", Done: true, Events: []*pb.Event{{Meta: make([]byte, 1025), Payload: msg}}}, "meta is 1025 bytes, over the contract's 1024 (LIMIT_META_BYTES)"},
	}
	for _, c := range cases {
		got := batchFault(c.b)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	if ev := cases[0].b.Events[0]; ev.LoginId != "" || ev.ChatId != "" {
		t.Errorf("the batch's event was changed: %v", ev)
	}
}
