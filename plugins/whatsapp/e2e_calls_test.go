package whatsapp_test

import (
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// A call and a chat's disappearing messages through a real Prosody, the
// gateway and the plugin process on the remote fake: the call rings as a
// message from the caller and, unanswered, is corrected (XEP-0308) to a
// missed call; the contact turns disappearing messages on, which the
// chat says, and the user's next message carries the chat's timer.
func TestEndToEndCallAndTimer(t *testing.T) {
	g, srv, alice := aliceLoggedIn(t)
	bobJID := g.JID("+33622222222")

	now := time.Now().Unix()
	srv.Call(wafake.Call{Tag: "offer", ID: "CALL1", From: bob.String(), At: now})
	ring := g.NextMessage(alice, bobJID)
	if ring.Body != "Incoming voice call: answer it on your phone" {
		t.Fatalf("ringing: %s", ring.XML)
	}
	srv.Call(wafake.Call{Tag: "terminate", ID: "CALL1", From: bob.String(), Reason: "timeout", At: now + 40})
	missed := g.NextMessage(alice, bobJID)
	if missed.Body != "Missed voice call" || !strings.Contains(missed.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="`+ring.ID+`"`) {
		t.Fatalf("missed: %s, want a correction of %s", missed.XML, ring.ID)
	}

	set := time.Now()
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: "TIMER1", Timestamp: set, PushName: "Bob"},
		&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_EPHEMERAL_SETTING.Enum(),
			EphemeralExpiration: proto.Uint32(604800), EphemeralSettingTimestamp: proto.Int64(set.Unix())}}); err != nil {
		t.Fatal(err)
	}
	if got := g.NextMessage(alice, bobJID); got.Body != "Disappearing messages turned on: messages disappear 1 week after they are sent" {
		t.Fatalf("timer: %s", got.XML)
	}
	g.SendChat(alice, bobJID, "this one disappears")
	if _, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
		return to == bob.String() && m.GetExtendedTextMessage().GetText() == "this one disappears" &&
			m.GetExtendedTextMessage().GetContextInfo().GetExpiration() == 604800
	}); err != nil {
		t.Fatal(err)
	}
}

// A call WhatsApp tells late (its offer older than the two minutes it
// rings), through the gateway: shown once it ends, as a missed call and
// a correction of it saying the same; and one whose ringing message was
// shown before a restart of the gateway and its plugin, told again late
// afterwards: the ringing message corrected to a missed call, no
// "answer it" left standing. Before, the second's end was a message
// under the ringing message's ID, dropped by the gateway as a duplicate.
func TestEndToEndLateCall(t *testing.T) {
	g, srv, alice := aliceLoggedIn(t)
	bobJID := g.JID("+33622222222")
	correction := func(id string) string { return `<replace xmlns="urn:xmpp:message-correct:0" id="` + id + `"` }

	old := time.Now().Add(-time.Hour).Unix()
	srv.Call(wafake.Call{Tag: "offer", ID: "LATE1", From: bob.String(), At: old})
	srv.Call(wafake.Call{Tag: "terminate", ID: "LATE1", From: bob.String(), Reason: "timeout", At: old + 40})
	missed := g.NextMessage(alice, bobJID)
	if missed.Body != "Missed voice call" || strings.Contains(missed.XML, "message-correct") {
		t.Fatalf("a late call: %s, want a missed call", missed.XML)
	}
	if again := g.NextMessage(alice, bobJID); again.Body != "Missed voice call" || !strings.Contains(again.XML, correction(missed.ID)) {
		t.Fatalf("a late call's correction: %s, want one of %s saying the same", again.XML, missed.ID)
	}

	// Rings now, for a little longer than WhatsApp rings after the
	// restart.
	at := time.Now().Add(-callRing + 5*time.Second)
	srv.Call(wafake.Call{Tag: "offer", ID: "RING1", From: bob.String(), At: at.Unix()})
	ring := g.NextMessage(alice, bobJID)
	if ring.Body != "Incoming voice call: answer it on your phone" {
		t.Fatalf("ringing: %s", ring.XML)
	}
	g.Restart()
	g.WaitReady(alice)
	time.Sleep(time.Until(at.Add(callRing + time.Second)))
	srv.Call(wafake.Call{Tag: "offer", ID: "RING1", From: bob.String(), At: at.Unix()})
	srv.Call(wafake.Call{Tag: "terminate", ID: "RING1", From: bob.String(), Reason: "timeout", At: at.Unix() + 40})
	got := g.NextMessage(alice, bobJID)
	if got.ID == ring.ID && got.Body == ring.Body {
		// The ringing message again, under its own id (clients drop it):
		// the restart came before the server confirmed its delivery.
		got = g.NextMessage(alice, bobJID)
	}
	if got.Body != "Missed voice call" || !strings.Contains(got.XML, correction(ring.ID)) {
		t.Fatalf("the call rung before the restart, told again late: %s, want a correction of %s", got.XML, ring.ID)
	}
}

// callRing is how long WhatsApp rings, as the plugin takes it.
const callRing = 2 * time.Minute
