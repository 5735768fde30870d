package plugintest

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The echo of a send is judged as the gateway knows it: by its txn_id,
// or by the message_id the send's result gave; one that comes before
// the result is judged once the result is in.
func TestOwnEchoes(t *testing.T) {
	mine := func(text, eventID, txn string) *pb.Event {
		return &pb.Event{LoginId: "l", ChatId: "c", EventId: eventID, TxnId: txn, Sender: &pb.Sender{UserId: "l", IsFromMe: true},
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}}
	}
	var o ownEchoes
	a := o.sending(SendText("l", "c", "t1", "hi"))
	if f := o.faults(mine("hi", "other", "")); len(f) != 0 {
		t.Fatalf("an echo before its send's result was judged at once: %q", f)
	}
	if f := o.faults(mine("hi", "m1", "t1")); len(f) != 0 {
		t.Fatalf("an echo with the send's txn_id: %q", f)
	}
	o.answered(a, &pb.CommandResult{MessageId: "m1"})
	if f := o.faults(nil); len(f) != 1 || !strings.Contains(f[0], `has event_id "other" and txn_id ""`) {
		t.Fatalf("the echo under another ID, without txn_id, once the result is in: %q, want one fault", f)
	}
	if f := o.faults(mine("hi", "m1", "")); len(f) != 0 {
		t.Fatalf("an echo under the message_id the result gave: %q", f)
	}
	if f := o.faults(mine("not sent", "x", "")); len(f) != 0 {
		t.Fatalf("a message of the user's from another device: %q", f)
	}
	other := mine("hi", "other", "")
	other.Sender.IsFromMe = false
	if f := o.faults(other); len(f) != 0 {
		t.Fatalf("the contact's answer with the same text: %q", f)
	}
}
