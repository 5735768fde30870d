package telegram

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Telegram's notices to the account (updateServiceNotification), a
// message of its service chat or a popup, come as messages from
// Telegram (777000); the same popup told again is the same event. They
// were dropped.
func TestServiceNotification(t *testing.T) {
	srv := newFake(t)
	_, h, _, _ := connectAlice(t, srv)
	fromTelegram := func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.ChatId == "777000" }

	from := h.count()
	srv.Notify(alice.ID, "auth123_new_login", "New login from Passerelle Test on Linux.", false, 1765000000)
	ev := h.wait(t, from, "the inbox notice", fromTelegram)
	if ev.GetMessage().Text != "New login from Passerelle Test on Linux." || ev.Sender.GetName() != "Telegram" ||
		ev.TimestampUnixMicro != 1765000000*1e6 {
		t.Errorf("inbox notice: %v", ev)
	}
	from = h.count()
	srv.Notify(alice.ID, "POPUP_TOS", "Telegram's terms of service changed.", true, 0)
	popup := h.wait(t, from, "the popup", fromTelegram)
	if popup.GetMessage().Text != "Telegram's terms of service changed." || popup.EventId == ev.EventId {
		t.Errorf("popup: %v (the inbox notice's ID %s)", popup, ev.EventId)
	}
	from = h.count()
	srv.Notify(alice.ID, "POPUP_TOS", "Telegram's terms of service changed.", true, 0)
	again := h.wait(t, from, "the popup again", fromTelegram)
	if again.EventId != popup.EventId {
		t.Errorf("the same popup told again: ID %s, then %s (the gateway would show it twice)", popup.EventId, again.EventId)
	}
}
