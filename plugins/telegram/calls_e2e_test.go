package telegram_test

import (
	"testing"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// Through the gateway and a real Prosody: eve's call rings in her chat,
// its end comes as the missed call Telegram records, and her change of
// the auto-delete timer is a message from her. Before, all three were
// dropped.
func TestGatewayCallAndTimer(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{})
	eveJID := g.JID("2002")
	fromEve := func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == eveJID && s.Body != ""
	}

	srv.RingCall(eve.ID, dora.ID, 777, false)
	if m := g.Next(d, "the call ringing", fromEve); m.Body != "Incoming voice call: answer it in Telegram" {
		t.Fatalf("ringing: %s", m.XML)
	}
	ended := &tg.MessageActionPhoneCall{CallID: 777, Reason: &tg.PhoneCallDiscardReasonMissed{}}
	ended.SetFlags()
	srv.PostService(eve.ID, dora.ID, ended)
	if m := g.Next(d, "the call missed", fromEve); m.Body != "Missed voice call" {
		t.Fatalf("missed: %s", m.XML)
	}
	srv.PostService(eve.ID, dora.ID, &tg.MessageActionSetMessagesTTL{Period: 86400})
	if m := g.Next(d, "the timer", fromEve); m.Body != "Disappearing messages turned on: messages disappear 1 day after they are sent" {
		t.Fatalf("timer: %s", m.XML)
	}
}
