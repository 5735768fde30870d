package signal_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Through the gateway and a real Prosody: bob's call rings in his chat,
// and his hangup before the user answered corrects it (XEP-0308) to a
// missed call; his change of the disappearing messages timer is a
// message from him.
func TestGatewayCallAndTimer(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Prosody")
	}
	g, user, d := startLoggedIn(t)
	bobJID := g.JID(bob)
	fromBob := func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == bobJID && s.Body != ""
	}

	callFrom(d, fakesignal.CallMessage{OfferMessage: &fakesignal.CallOffer{ID: 31337, Type: "VIDEO_CALL"}})
	ring := g.Next(user, "the call ringing", fromBob)
	if ring.Body != "Incoming video call: answer it on your phone" {
		t.Fatalf("ringing: %s", ring.XML)
	}
	callFrom(d, fakesignal.CallMessage{HangupMessage: &fakesignal.CallHangup{ID: 31337, Type: "NORMAL"}})
	missed := g.Next(user, "the call missed", fromBob)
	if missed.Body != "Missed video call" || !strings.Contains(missed.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="`+ring.ID+`"`) {
		t.Fatalf("missed: %s, want a correction of %s", missed.XML, ring.ID)
	}

	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, ExpiresInSeconds: 8 * 3600, IsExpirationUpdate: true}})
	if m := g.Next(user, "the timer", fromBob); m.Body != "Disappearing messages turned on: messages disappear 8 hours after they are read" {
		t.Fatalf("timer: %s", m.XML)
	}
}
