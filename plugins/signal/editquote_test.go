package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// An edit of a reply the plugin never had (sent before the device was
// linked) is shown as a message of its own: it is still a reply, and
// carries its quote (Signal's apps send the quote again in an edit), so
// the message shows what it answers, as the reply would have. (Before:
// the quote was dropped, the edited reply shown without its context.)
func TestEditOfUnknownReplyKeepsQuote(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	orig, edit := d.Now()-60_000, d.Now()
	q := &fakesignal.Quote{ID: orig - 60_000, AuthorNumber: alice, Text: "my old words"}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: edit, EditMessage: &fakesignal.EditMessage{
		TargetSentTimestamp: orig, DataMessage: fakesignal.DataMessage{Timestamp: edit, Message: fakesignal.Text("yes, at noon"), Quote: q}}})
	ev := s.next(func(ev *pb.Event) bool { return strings.HasSuffix(ev.GetMessage().GetText(), "yes, at noon") })
	m := ev.GetMessage()
	if m.ReplyToId != mid(q.ID, alice) || m.QuoteText != "my old words" || !m.QuoteFromMe {
		t.Fatalf("the edited reply: reply to %q, quote %q (from me %v), want %q, her words, from her", m.ReplyToId, m.QuoteText, m.QuoteFromMe, mid(q.ID, alice))
	}
}
