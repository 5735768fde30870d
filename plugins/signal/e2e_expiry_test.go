package signal_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Disappearing messages through the gateway and a real Prosody, under a
// 2 s timer. Bob's messages stay while the user has not read them, as
// Signal runs a recipient's timer from the read: the user's displayed
// marker (XEP-0333) starts one's timer, a read on the phone (the user's
// own read sync) another's, and the gateway retracts each (XEP-0424,
// from bob) a timer's length later. Meanwhile the user's own messages
// disappear at their sender's deadline, read or not: one from XMPP a
// timer's length after it was sent, one from the phone that came late
// sooner than that. "/timer 1d" from the user sets bob's timer on Signal
// (updateContact, expiration in seconds), and the user's notice of it
// comes once.
func TestGatewayDisappearing(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Prosody")
	}
	g, user, d := startLoggedIn(t)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	// The user's own messages and their retractions come as carbons.
	if err := user.EnableCarbons(ctx); err != nil {
		t.Fatal(err)
	}
	bobJID := g.JID(bob)

	const timer = 2 // seconds, Signal's expiresInSeconds
	isRetraction := func(id string) func(xmpptest.Stanza) bool {
		return func(s xmpptest.Stanza) bool {
			return s.Name == "message" && strings.Contains(s.XML, `<retract xmlns="urn:xmpp:message-retract:1" id="`+id+`"`)
		}
	}
	// retracted waits for the retraction of id and checks that it did
	// not come before deadline.
	retracted := func(what, id string, deadline time.Time) xmpptest.Stanza {
		t.Helper()
		x := g.Next(user, "retraction of "+what, isRetraction(id))
		if early := time.Until(deadline); early > 300*time.Millisecond {
			t.Errorf("%s retracted %s before its deadline", what, early)
		}
		return x
	}
	// notRetracted checks that none of ids was retracted so far.
	notRetracted := func(when string, ids ...string) {
		t.Helper()
		for _, st := range user.Pending() {
			for _, id := range ids {
				if isRetraction(id)(st) {
					t.Fatalf("%s: %s", when, st.XML)
				}
			}
		}
	}
	fromBob := func(text string) (xmpptest.Stanza, int64) {
		t.Helper()
		at := d.Now()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", Timestamp: at,
			DataMessage: &fakesignal.DataMessage{Timestamp: at, Message: fakesignal.Text(text), ExpiresInSeconds: timer}})
		m := g.Next(user, "bob's "+text, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && gatewaytest.Bare(s.From) == bobJID && s.Body == text
		})
		if m.ID == "" {
			t.Fatalf("bob's message has no id: %s", m.XML)
		}
		return m, at
	}

	// Bob's two messages, unread.
	arrived := time.Now()
	onXMPP, _ := fromBob("read me on XMPP")
	onPhone, onPhoneAt := fromBob("read me on the phone")

	// The user's own from XMPP: bob's messages gave his chat the timer
	// on Signal, which the send carries; it disappears a timer's length
	// after it was sent.
	fromXMPP := g.SendChat(user, bobJID, "mine, from XMPP")
	sentXMPP := time.Now()
	waitSent(t, d, bob, "mine, from XMPP")
	if req, _ := lastRequest(d, "send"); req.ExpiresInSeconds != timer {
		t.Fatalf("the send carried a %d s timer, want %d", req.ExpiresInSeconds, timer)
	}
	// And from the phone, arriving late: sent 3 s ago under a 4 s timer,
	// it disappears at its sender's deadline, a second after it came,
	// not a timer's length after (expires_unix_micro, not a read).
	const late, phoneTimer = 3000, 4
	sent := d.Now() - late
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, Timestamp: sent, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DestinationUUID: bobACI,
			DataMessage: fakesignal.DataMessage{Timestamp: sent, Message: fakesignal.Text("mine, from the phone"), ExpiresInSeconds: phoneTimer}}}})
	came := time.Now()
	// A carbon of a message from the user to bob.
	carbon := g.Next(user, "the carbon of the phone's message", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && strings.Contains(s.XML, "urn:xmpp:carbons:2") && strings.Contains(s.XML, "mine, from the phone")
	})
	inner := regexp.MustCompile(`<forwarded[^>]*>.*?<message [^>]*\bid="([^"]+)"`).FindStringSubmatch(carbon.XML)
	if inner == nil {
		t.Fatalf("no id in the carbon: %s", carbon.XML)
	}
	x := retracted("the user's message from the phone", inner[1], time.UnixMilli(sent+phoneTimer*1000))
	if took := time.Since(came); took > phoneTimer*time.Second-1500*time.Millisecond {
		t.Errorf("the phone's message retracted %s after it came, want at its deadline %d ms after", took, phoneTimer*1000-late)
	}
	ownRetraction := func(what string, x xmpptest.Stanza) {
		t.Helper()
		if !strings.Contains(x.XML, "urn:xmpp:carbons:2") || !strings.Contains(x.XML, `from="alice@localhost"`) {
			t.Errorf("the retraction of %s: %s, want a carbon, as the user", what, x.XML)
		}
	}
	ownRetraction("the user's message from the phone", x)
	ownRetraction("the user's message from XMPP", retracted("the user's message from XMPP", fromXMPP, sentXMPP.Add(timer*time.Second)))

	// Bob's stay unread past their timer's length.
	time.Sleep(time.Until(arrived.Add(timer*time.Second + time.Second)))
	notRetracted("retracted while unread", onXMPP.ID, onPhone.ID)

	// Read on XMPP: the displayed marker starts the first's timer, and
	// only its: the second came after it.
	read := time.Now()
	if err := user.SendRaw(ctx, `<message type='chat' to='`+bobJID+`'><displayed xmlns='urn:xmpp:chat-markers:0' id='`+onXMPP.ID+`'/></message>`); err != nil {
		t.Fatal(err)
	}
	if x := retracted("bob's message read on XMPP", onXMPP.ID, read.Add(timer*time.Second)); gatewaytest.Bare(x.From) != bobJID {
		t.Errorf("the retraction of bob's message: %s, want it from bob", x.XML)
	}
	notRetracted("retracted, unread, with the one before it", onPhone.ID)

	// Read on the phone: the user's own read sync naming the second
	// starts its timer, no marker from XMPP.
	read = time.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{
		ReadMessages: []fakesignal.ReadMessage{{SenderNumber: bob, SenderUUID: bobACI, Timestamp: onPhoneAt}}}})
	if x := retracted("bob's message read on the phone", onPhone.ID, read.Add(timer*time.Second)); gatewaytest.Bare(x.From) != bobJID {
		t.Errorf("the retraction of bob's message: %s, want it from bob", x.XML)
	}

	// "/timer 1d" in bob's chat: updateContact with a day in seconds,
	// and the user's notice once, before bob's next message.
	if err := user.SendRaw(ctx, `<message type='chat' id='timer1' to='`+bobJID+`'><body>/timer 1d</body></message>`); err != nil {
		t.Fatal(err)
	}
	const notice = "Disappearing messages turned on: messages disappear 1 day after they are read"
	isNotice := func(s xmpptest.Stanza) bool { return s.Name == "message" && strings.Contains(s.XML, notice) }
	// The notice is the user's: a carbon of a message to bob.
	if n := g.Next(user, "the timer's notice", isNotice); !strings.Contains(n.XML, "urn:xmpp:carbons:2") || !strings.Contains(n.XML, `to="`+bobJID+`"`) {
		t.Errorf("the timer's notice: %s, want the user's in bob's chat", n.XML)
	}
	req, ok := lastRequest(d, "updateContact")
	if !ok || req.Params["recipient"] != bob || req.Params["expiration"] != float64(24*3600) {
		t.Fatalf("updateContact: %v (%v), want recipient %s, expiration %d", req.Params, ok, bob, 24*3600)
	}
	fromBob("after the notice")
	for _, st := range user.Pending() {
		if isNotice(st) || st.Type == "error" {
			t.Errorf("after the timer's notice: %s, want the notice once and no error", st.XML)
		}
	}
}

// A read at once, as a client with the chat open marks a message
// displayed as it comes (or the phone reads it there), starts its timer
// too, though the message's store commit may not have ended yet.
func TestGatewayDisappearingReadAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Prosody")
	}
	g, user, d := startLoggedIn(t)
	bobJID := g.JID(bob)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	for _, phone := range []bool{false, true} {
		at := d.Now()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at,
			DataMessage: &fakesignal.DataMessage{Timestamp: at, Message: fakesignal.Text("read at once"), ExpiresInSeconds: 1}})
		m := g.Next(user, "bob's message", func(s xmpptest.Stanza) bool {
			return s.Name == "message" && gatewaytest.Bare(s.From) == bobJID && s.Body == "read at once"
		})
		if phone {
			d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{
				ReadMessages: []fakesignal.ReadMessage{{SenderNumber: bob, SenderUUID: bobACI, Timestamp: at}}}})
		} else if err := user.SendRaw(ctx, `<message type='chat' to='`+bobJID+`'><displayed xmlns='urn:xmpp:chat-markers:0' id='`+m.ID+`'/></message>`); err != nil {
			t.Fatal(err)
		}
		g.Next(user, "the retraction of the message read at once (on the phone: "+strconv.FormatBool(phone)+")", func(s xmpptest.Stanza) bool {
			return s.Name == "message" && strings.Contains(s.XML, `<retract xmlns="urn:xmpp:message-retract:1" id="`+m.ID+`"`)
		})
	}
}

// What the gateway sends as the user (XEP-0356: the user's messages from
// the phone, the timer's notice, the retractions of the user's expired
// messages) comes back to it through the user's server, addressed to
// bob: none of it may reach Signal again.
func TestGatewayOwnMessagesNotSentAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Prosody")
	}
	g, user, d := startLoggedIn(t)
	bobJID := g.JID(bob)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := user.EnableCarbons(ctx); err != nil {
		t.Fatal(err)
	}
	carbonOf := func(text string) func(xmpptest.Stanza) bool {
		return func(s xmpptest.Stanza) bool {
			return s.Name == "message" && strings.Contains(s.XML, "urn:xmpp:carbons:2") && strings.Contains(s.XML, text)
		}
	}
	sent := d.Now() - 500
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, Timestamp: sent, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DestinationUUID: bobACI,
			DataMessage: fakesignal.DataMessage{Timestamp: sent, Message: fakesignal.Text("from my phone"), ExpiresInSeconds: 1}}}})
	g.Next(user, "the carbon of the phone's message", carbonOf("from my phone"))
	g.Next(user, "the retraction of the phone's message", carbonOf("urn:xmpp:message-retract:1"))
	if err := user.SendRaw(ctx, `<message type='chat' id='timer1' to='`+bobJID+`'><body>/timer 1d</body></message>`); err != nil {
		t.Fatal(err)
	}
	g.Next(user, "the timer's notice", carbonOf("Disappearing messages turned on"))
	// The user's next message from XMPP reaches signal-cli after
	// anything of the above would have.
	g.SendChat(user, bobJID, "the last")
	waitSent(t, d, bob, "the last")
	for _, r := range d.Requests(alice) {
		if (r.Method == "send" && r.Params["message"] != "the last") || r.Method == "remoteDelete" {
			t.Errorf("signal-cli got %s %v: something the gateway sent as the user came back as the user's", r.Method, r.Params)
		}
	}
}
