package telegram_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// Disappearing messages through the whole stack: a real Prosody, the
// gateway, the plugin binary and the fake Telegram.
//
// A contact's message with a ttl_period of 2 s reaches the client and is
// retracted (XEP-0424), from the contact, at its deadline and not
// before; Telegram's own deletion of it after the deadline retracts it
// no second time. "/timer 1w" sent in the chat sets the chat's timer on
// Telegram (messages.setHistoryTTL) and is not sent as a message; its
// notice comes once, from the user; the user's next message carries the
// week (the send's result gives its deadline: TestSendExpiresContract,
// on the plugin's side of the contract; what the gateway does with it is
// the gateway's). "/timer 2h" is refused with bad-request naming what
// Telegram allows.
func TestGatewayDisappearing(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{})
	eveJID := g.JID("2002")
	ctx := ctxT(t)
	// The user's own messages (the timer's notice) reach the client as
	// carbons of messages sent as the user (XEP-0356).
	if err := d.EnableCarbons(ctx); err != nil {
		t.Fatal(err)
	}
	dp, ep := &tg.PeerUser{UserID: dora.ID}, &tg.PeerUser{UserID: eve.ID}
	retractions := func(id string) (n int) {
		for _, s := range d.Pending() {
			if s.Name == "message" && strings.Contains(s.XML, `<retract xmlns="urn:xmpp:message-retract:1" id="`+id+`"`) {
				n++
			}
		}
		return n
	}
	// barrier is a message from eve, and its arrival: what Telegram
	// sent before it has been through the gateway.
	barrier := func(text string) {
		t.Helper()
		srv.Send(eve.ID, dp, text)
		g.Next(d, "eve's "+text, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && gatewaytest.Bare(s.From) == eveJID && s.Body == text
		})
	}

	// 1. Eve's message that Telegram deletes 2 s after its date.
	gid := srv.Send(eve.ID, dp, "gone in two seconds", tgfake.WithTTL(2))
	msg := g.NextMessage(d, eveJID)
	if msg.Body != "gone in two seconds" || msg.ID == "" {
		t.Fatalf("eve's disappearing message: %s", msg.XML)
	}
	var deadline time.Time
	for _, m := range srv.Messages(dora.ID) {
		if m.Message == "gone in two seconds" {
			if m.TTLPeriod != 2 {
				t.Fatalf("dora's copy has ttl_period %d, want 2", m.TTLPeriod)
			}
			deadline = time.Unix(int64(m.Date+m.TTLPeriod), 0)
		}
	}
	if retractions(msg.ID) != 0 {
		t.Fatalf("retracted before its deadline %v: %v", deadline, d.Pending())
	}
	x := g.Next(d, "the retraction at the deadline", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && strings.Contains(s.XML, `<retract xmlns="urn:xmpp:message-retract:1" id="`+msg.ID+`"`)
	})
	if at := time.Now(); at.Before(deadline) {
		t.Errorf("retracted at %v, before its deadline %v", at, deadline)
	}
	if gatewaytest.Bare(x.From) != eveJID || x.Type != "chat" || !strings.Contains(x.Body, "disappearing message") {
		t.Errorf("the retraction: %s, want one from eve with the fallback about a disappearing message", x.XML)
	}
	// Telegram deletes it too (updateDeleteMessages): no second
	// retraction.
	srv.Delete(gid)
	barrier("after the deletion")
	if n := retractions(msg.ID); n != 0 {
		t.Errorf("Telegram's deletion after the deadline retracted the message %d more times", n)
	}

	// 2. "/timer 1w" in the private chat: Telegram's timer, the notice
	// once, from the user.
	g.SendChat(d, eveJID, "/timer 1w")
	const notice = "Disappearing messages turned on: messages disappear 1 week after"
	n := g.Next(d, "the timer's notice", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && strings.Contains(s.XML, "Disappearing messages")
	})
	if !strings.Contains(n.XML, notice) || !strings.Contains(n.XML, "urn:xmpp:carbons:2") ||
		!strings.Contains(n.XML, `from="dora@localhost`) || !strings.Contains(n.XML, `to="`+eveJID) {
		t.Errorf("the notice: %s, want a carbon of %q from dora to eve", n.XML, notice)
	}
	if got := srv.TTL(dora.ID, ep); got != 7*86400 {
		t.Errorf("Telegram's timer of the chat: %d s, want a week (604800)", got)
	}
	g.SendChat(d, eveJID, "for a week")
	sent := waitDelivered(t, srv, eve.ID, "for a week")
	if sent.TTLPeriod != 7*86400 {
		t.Errorf("eve's copy of the next message: ttl_period %d, want 604800", sent.TTLPeriod)
	}
	var mine *tg.Message
	for _, m := range srv.Messages(dora.ID) {
		if m.Message == "for a week" && m.Out {
			mine = m
		}
	}
	if mine == nil || mine.TTLPeriod != 7*86400 {
		t.Fatalf("dora's copy of the next message: %v, want ttl_period 604800", mine)
	}
	barrier("after the timer")
	for _, s := range d.Pending() {
		if strings.Contains(s.XML, "Disappearing messages") {
			t.Errorf("a second timer notice: %s", s.XML)
		}
	}
	for _, m := range srv.Messages(eve.ID) {
		if strings.HasPrefix(m.Message, "/timer") {
			t.Errorf("the command reached eve as a message: %q", m.Message)
		}
	}

	// A length Telegram refuses: the command's error, naming what
	// Telegram allows; the timer stays.
	id := g.SendChat(d, eveJID, "/timer 2h")
	e := g.Next(d, "the refusal of /timer 2h", func(s xmpptest.Stanza) bool { return s.Type == "error" })
	if e.ID != id || e.Err == nil || e.Err.Condition != "bad-request" || !strings.Contains(e.Err.Text, "whole days up to a year") {
		t.Errorf("/timer 2h: %s, want bad-request naming whole days up to a year", e.XML)
	}
	if got := srv.TTL(dora.ID, ep); got != 7*86400 {
		t.Errorf("after /timer 2h, Telegram's timer of the chat: %d s, want still a week", got)
	}
}
