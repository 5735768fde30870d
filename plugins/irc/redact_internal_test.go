package irc

import (
	"slices"
	"testing"

	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A history batch's REDACT naming another chat (a wrong or hostile
// server's) deletes nothing of the batch's chat: its message of that
// msgid stays, and no retraction is made. The batch's own REDACT
// still leaves its message out. Before, any REDACT in the batch left
// out the message of its msgid, whatever its target.
func TestHistoryRedactOfAnotherChatIgnored(t *testing.T) {
	n := &Network{host: &stateHost{}}
	s := newSession(n, "kit@irc.test:6667/x", Account{Nick: "kit"})
	msg := func(id string) *pb.Event {
		return &pb.Event{EventId: id, ChatId: "#hist", Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: id}}}
	}
	parse := func(line string) ircmsg.Message {
		m, err := ircmsg.ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	batch := &pb.HistoryBatch{Events: []*pb.Event{msg("h-1"), msg("h-2")}}
	r := &histReq{chatID: "#hist", typ: pb.ChatType_CHAT_TYPE_GROUP, target: s.fold("#hist")}
	s.historyRedactions([]ircmsg.Message{
		parse("@msgid=x-1 :bob!b@h REDACT #other h-1"),
		parse("@msgid=x-2 :bob!b@h REDACT #Hist h-2"),
	}, r, batch)
	var ids []string
	for _, ev := range batch.Events {
		ids = append(ids, ev.EventId)
	}
	if !slices.Equal(ids, []string{"h-1"}) {
		t.Errorf("the batch after its REDACTs: %v; want h-1 alone (h-2 deleted here, h-1's REDACT another chat's)", ids)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.redactedLocked("#hist", "h-1") || s.redactedLocked("#other", "h-1") {
		t.Error("h-1 noted deleted by another chat's REDACT: later history leaves it out")
	}
}
