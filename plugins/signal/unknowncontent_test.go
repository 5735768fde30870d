package signal_test

import (
	"encoding/json"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A message whose only content is of a kind this plugin does not know (a
// signal-cli newer than it, which writes a field it never heard of, such
// as a gift badge) is told as a message the gateway cannot show, with
// where to see it, and the log names the field for the admin. Before, it
// had nothing the plugin knew to show and was dropped without a word.
// What signal-cli writes for a message with nothing to show (a profile
// key update: no field but the timestamp, the body null) stays silent.
func TestUnknownContentTold(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	ts := d.Now()
	d.DeliverRaw(alice, json.RawMessage(`{"sourceNumber":"`+bob+`","sourceUuid":"`+bobACI+`","sourceName":"Bob","timestamp":`+itoa(ts)+
		`,"dataMessage":{"timestamp":`+itoa(ts)+`,"message":null,"expiresInSeconds":0,"viewOnce":false,"giftBadge":{"receiptCredentialPresentation":"AAEC"}}}`))
	d.DeliverRaw(alice, json.RawMessage(`{"sourceNumber":"`+bob+`","sourceUuid":"`+bobACI+`","timestamp":`+itoa(d.Now())+
		`,"dataMessage":{"timestamp":1,"message":null,"expiresInSeconds":0,"viewOnce":false}}`))
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("after")}})
	ev := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if txt := ev.GetMessage().GetText(); !strings.Contains(txt, "cannot show") || !strings.Contains(txt, "phone") || ev.ChatId != bob ||
		stamp(ev.EventId) != itoa(ts) {
		t.Fatalf("the message of an unknown kind: %v", ev)
	}
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.GetMessage().GetText() != "after" {
		t.Fatalf("after it: %v, want the next message (the profile key update shows nothing)", ev)
	}
	waitLogged(t, s, "the field", "giftBadge")
}
