package whatsapp_test

import (
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A protocol message of a type newer than the pinned whatsmeow, from a
// contact, in the plugin process on the remote fake: a notice to look
// at the phone, once (WhatsApp adds types that people see, as it did
// member tags and advanced chat privacy). It was dropped without a
// word. One from the user's own devices is their bookkeeping: not
// shown, as the known bookkeeping types are not.
func TestUnknownProtocolTypeToldProcess(t *testing.T) {
	srv, _, evs, _ := processLoggedIn(t)
	newer := waE2E.ProtocolMessage_Type(99)
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: "PM1", Timestamp: time.Now(), PushName: "Bob"},
		&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: newer.Enum()}}); err != nil {
		t.Fatal(err)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.EventId != "PM1" || ev.ChatId != "+"+bob.User || ev.GetMessage().Text != "⚠ A message of a kind the gateway cannot show: see it on your phone." {
		t.Errorf("a protocol message of a newer type: %v", ev)
	}
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: me, IsFromMe: true}, ID: "PM2", Timestamp: time.Now()},
		&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: newer.Enum()}}); err != nil {
		t.Fatal(err)
	}
	info, msg := incoming(bob, "AFTER", "hi")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool {
		if ev.EventId == "PM2" || ev.EventId == "PM1" {
			t.Errorf("shown: %v", ev)
		}
		return ev.EventId == "AFTER"
	})
}
