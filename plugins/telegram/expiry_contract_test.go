package telegram_test

import (
	"strconv"
	"testing"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A send into a chat with a week's auto-delete timer, through the
// contract (the plugin binary, plugintest): its CommandResult carries
// the deadline, expires_unix_micro, the date of the message Telegram
// made plus its ttl_period; a send into a chat without one carries none.
// (TestGatewayDisappearing read it from the gateway's store: a
// transport's tests know only the contract.)
func TestSendExpiresContract(t *testing.T) {
	srv, p, done := doraPlugin(t)
	p.Connect(done.LoginId, done.SavedState)
	chat := strconv.FormatInt(eve.ID, 10)
	const week = 7 * 86400
	srv.SetTTL(dora.ID, &tg.PeerUser{UserID: eve.ID}, week)
	res := p.Commands().Send(plugintest.Act(done.LoginId, chat, "for-a-week", &pb.SendMessage{Text: "for a week"}))
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	var mine *tg.Message
	for _, m := range srv.Messages(dora.ID) {
		if m.Message == "for a week" && m.Out {
			mine = m
		}
	}
	if mine == nil || res.MessageId != strconv.Itoa(mine.ID) {
		t.Fatalf("result %v; dora's copy %v", res, mine)
	}
	if want := int64(mine.Date+week) * 1e6; res.ExpiresUnixMicro != want {
		t.Errorf("expires_unix_micro %d, want %d (the message's date plus a week)", res.ExpiresUnixMicro, want)
	}
	srv.SetTTL(dora.ID, &tg.PeerUser{UserID: eve.ID}, 0)
	res = p.Commands().Send(plugintest.Act(done.LoginId, chat, "no-timer", &pb.SendMessage{Text: "for good"}))
	if res.Error != nil || res.ExpiresUnixMicro != 0 {
		t.Errorf("a send without a timer: %v, want no deadline", res)
	}
}
