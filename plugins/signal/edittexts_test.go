package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A reply to an edited message quotes its newest text, as Signal's apps
// do: a contact's edit, and the user's own from XMPP, after a restart
// too. Before, the reply quoted the text the message came with (the
// metadata the gateway stored then), which recipients without the
// message saw as the quote.
func TestReplyQuotesEditedText(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	reply := func(to string, meta []byte) any {
		t.Helper()
		if res := s.do(bob, &pb.SendMessage{Text: "yes", ReplyToId: to, ReplyToMeta: meta}); res.Error != nil {
			t.Fatal(res.Error)
		}
		req, _ := lastRequest(d, "send")
		return req.Params["quoteMessage"]
	}

	orig := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: orig, DataMessage: &fakesignal.DataMessage{
		Timestamp: orig, Message: fakesignal.Text("bob's first")}})
	ev := s.next(isText("bob's first"))
	edit := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: edit, EditMessage: &fakesignal.EditMessage{
		TargetSentTimestamp: orig, DataMessage: fakesignal.DataMessage{Timestamp: edit, Message: fakesignal.Text("bob's second")}}})
	s.editEvent(edit)
	if q := reply(ev.EventId, ev.Meta); q != "bob's second" {
		t.Errorf("reply to bob's edited message quotes %v, want its newest text", q)
	}

	mine := s.do(bob, &pb.SendMessage{Text: "my first"})
	if mine.Error != nil {
		t.Fatal(mine.Error)
	}
	if res := s.do(bob, &pb.EditMessage{TargetId: mine.MessageId, TargetMeta: mine.Meta, Text: "my second"}); res.Error != nil {
		t.Fatal(res.Error)
	}
	if q := reply(mine.MessageId, mine.Meta); q != "my second" {
		t.Errorf("reply to the user's edited message quotes %v, want its newest text", q)
	}

	s.crash()
	if q := reply(ev.EventId, ev.Meta); q != "bob's second" {
		t.Errorf("after a restart, reply to bob's edited message quotes %v, want its newest text", q)
	}
}
