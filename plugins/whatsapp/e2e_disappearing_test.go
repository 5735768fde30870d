package whatsapp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// Disappearing messages through a real Prosody, the gateway and the
// plugin process on the remote fake. The contact's message carrying a
// timer (ContextInfo.Expiration; 3 s here, which the gateway takes as it
// would a day) is retracted (XEP-0424) from the contact at its deadline
// and not before, with a fallback body saying why; so is the user's own
// message into the chat the contact set a timer on, as the user (a
// carbon). Neither happens unless the plugin says the deadline
// (MessageEvent.expires_unix_micro, sdk.Result.Expires). Then "/timer 7d"
// from the user sets the chat's timer on WhatsApp (not sent as a
// message), the user sees the change once, and their next message
// carries it; "/timer 1h" is refused, naming the lengths WhatsApp offers.
func TestEndToEndDisappearing(t *testing.T) {
	g, srv, alice := aliceLoggedIn(t)
	bobJID := g.JID("+" + bob.User)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := alice.EnableCarbons(ctx); err != nil {
		t.Fatal(err)
	}
	const secs = 3
	retract := func(id string) string { return `<retract xmlns="urn:xmpp:message-retract:1" id="` + id + `"` }
	// retraction waits for the retraction of id, a few seconds past its
	// deadline at most, and fails the test if it came before it.
	retraction := func(what, id string, deadline time.Time) xmpptest.Stanza {
		t.Helper()
		ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(5*time.Second))
		defer cancel()
		st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool { return s.Name == "message" && strings.Contains(s.XML, retract(id)) })
		if err != nil {
			t.Fatalf("no retraction of %s (%s) by %s: %v; pending %v", what, id, deadline.Add(5*time.Second).Format(time.StampMilli), err, alice.Pending())
		}
		if early := time.Until(deadline); early > 100*time.Millisecond {
			t.Errorf("%s retracted %s before its deadline", what, early)
		}
		return st
	}

	// Bob turns a 3-second timer on (WhatsApp offers a day at least: the
	// gateway does not care), then writes under it.
	at := time.Now().Truncate(time.Second)
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: "TIMER1", Timestamp: at, PushName: "Bob"},
		&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_EPHEMERAL_SETTING.Enum(),
			EphemeralExpiration: proto.Uint32(secs), EphemeralSettingTimestamp: proto.Int64(at.Unix())}}); err != nil {
		t.Fatal(err)
	}
	if got := g.NextMessage(alice, bobJID); got.Body != "Disappearing messages turned on: messages disappear 3 s after they are sent" {
		t.Fatalf("Bob's timer: %s", got.XML)
	}
	at = time.Now().Truncate(time.Second) // WhatsApp's times are whole seconds
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: "GONE1", Timestamp: at, PushName: "Bob"},
		&waE2E.Message{EphemeralMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text: proto.String("see you never"), ContextInfo: &waE2E.ContextInfo{Expiration: proto.Uint32(secs)}}}}}); err != nil {
		t.Fatal(err)
	}
	theirs := g.NextMessage(alice, bobJID)
	if theirs.Body != "see you never" || strings.Contains(theirs.XML, "message-retract") {
		t.Fatalf("Bob's disappearing message: %s", theirs.XML)
	}
	// The user answers under the chat's timer.
	sentAt := time.Now()
	mine := g.SendChat(alice, bobJID, "gone soon too")
	if _, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
		return to == bob.String() && m.GetExtendedTextMessage().GetText() == "gone soon too" &&
			m.GetExtendedTextMessage().GetContextInfo().GetExpiration() == secs
	}); err != nil {
		t.Fatalf("the user's answer under the timer: %v", err)
	}

	x := retraction("Bob's message", theirs.ID, at.Add(secs*time.Second))
	if x.From != theirs.From || !strings.Contains(x.Body, "disappearing message") ||
		!strings.Contains(x.XML, `<fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:message-retract:1"`) {
		t.Errorf("the retraction of Bob's message: %s, want one from %s with a fallback body", x.XML, theirs.From)
	}
	own := retraction("the user's message", mine, sentAt.Add(secs*time.Second))
	if !sentByAlice(own, bobJID) {
		t.Errorf("the retraction of the user's message: %s, want a carbon of one from alice to Bob", own.XML)
	}

	// The user sets a week from XMPP.
	g.SendChat(alice, bobJID, "/timer 7d")
	if _, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
		pm := m.GetProtocolMessage()
		return to == bob.String() && pm.GetType() == waE2E.ProtocolMessage_EPHEMERAL_SETTING && pm.GetEphemeralExpiration() == 604800
	}); err != nil {
		t.Fatalf("the week's setting on WhatsApp: %v", err)
	}
	const week = "Disappearing messages turned on: messages disappear 1 week after they are sent"
	notice := g.Next(alice, "the week's notice", func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, week) })
	if !sentByAlice(notice, bobJID) {
		t.Errorf("the week's notice: %s, want a carbon of the user's", notice.XML)
	}
	g.SendChat(alice, bobJID, "gone in a week")
	if m, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
		return to == bob.String() && m.GetExtendedTextMessage().GetText() == "gone in a week"
	}); err != nil || m.GetExtendedTextMessage().GetContextInfo().GetExpiration() != 604800 {
		t.Errorf("sent after /timer 7d: %v, %v; want Expiration 604800", m, err)
	}

	// An hour WhatsApp does not offer: an error reply saying what it does.
	id := g.SendChat(alice, bobJID, "/timer 1h")
	e := g.Next(alice, "the error for /timer 1h", func(s xmpptest.Stanza) bool { return s.Name == "message" && s.Type == "error" })
	if e.ID != id || e.Err == nil || e.Err.Condition != "bad-request" || !strings.Contains(e.Err.Text, "24 hours, 7 days or 90 days") {
		t.Errorf("/timer 1h: %s, want bad-request naming 24 hours, 7 days or 90 days", e.XML)
	}

	// Bob's next message comes after all of that: the week's notice was
	// said once, and neither command went to Bob as a message.
	info, msg := incoming(bob, "AFTER1", "after the timers")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	if got := g.NextMessage(alice, bobJID); got.Body != "after the timers" {
		t.Fatalf("after the timers: %s", got.XML)
	}
	for _, s := range alice.Pending() {
		if strings.Contains(s.XML, "Disappearing messages turned") || s.Type == "error" {
			t.Errorf("after the week's notice and the error: %s", s.XML)
		}
	}
	for _, m := range srv.SentTo(bob) {
		if strings.Contains(m.GetConversation()+m.GetExtendedTextMessage().GetText(), "/timer") {
			t.Errorf("a /timer command sent to Bob as a message: %v", m)
		}
	}
}

// sentByAlice: s is a carbon (XEP-0280) of a message alice sent to the
// bare JID to, as the gateway sends one as the user (XEP-0356).
func sentByAlice(s xmpptest.Stanza, to string) bool {
	var c struct {
		Sent *struct {
			Forwarded struct {
				Message struct {
					From string `xml:"from,attr"`
					To   string `xml:"to,attr"`
				} `xml:"jabber:client message"`
			} `xml:"urn:xmpp:forward:0 forwarded"`
		} `xml:"urn:xmpp:carbons:2 sent"`
	}
	if err := s.Unmarshal(&c); err != nil || c.Sent == nil {
		return false
	}
	m := c.Sent.Forwarded.Message
	return m.From == "alice@localhost" && m.To == to
}
