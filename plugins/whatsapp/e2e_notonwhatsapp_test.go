package whatsapp_test

import (
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A message to a number with no WhatsApp account, in the plugin process
// on the remote fake: refused NOT_FOUND saying the number is not on
// WhatsApp, nothing sent. It was "service unavailable" with whatsmeow's
// "no LID found for 33655555555@s.whatsapp.net from server", as if
// trying again would do (and, on an account whatsmeow does not send by
// LID, it went out and stayed pending for ever). A number on WhatsApp
// the user never wrote to still gets the message.
func TestSendToNumberNotOnWhatsAppProcess(t *testing.T) {
	srv, p, evs, done := processLoggedIn(t)
	nobody := types.NewJID("33655555555", types.DefaultUserServer)
	srv.NotOnWhatsApp(nobody)
	// Received after the number is marked: the fake has it by then.
	info, msg := incoming(bob, "FIRST", "hi")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.EventId == "FIRST" })
	cmds := p.Commands()

	res := cmds.Send(plugintest.SendText(done.LoginId, "+"+nobody.User, "tx1", "are you there?"))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND || !strings.Contains(res.Error.GetText(), "+33655555555 is not on WhatsApp") {
		t.Errorf("send to a number not on WhatsApp: %v, want NOT_FOUND saying it is not on WhatsApp", res)
	}
	if sent := srv.SentTo(nobody); len(sent) != 0 {
		t.Errorf("sent to a number not on WhatsApp: %v", sent)
	}

	dave := types.NewJID("33644444444", types.DefaultUserServer)
	res = cmds.Send(plugintest.SendText(done.LoginId, "+"+dave.User, "tx2", "hello Dave"))
	if res.Error != nil {
		t.Fatalf("send to a new contact on WhatsApp: %v", res.Error)
	}
	if _, err := srv.WaitSent(5*time.Second, func(to string, m *waE2E.Message) bool {
		return to == dave.String() && m.GetConversation()+m.GetExtendedTextMessage().GetText() == "hello Dave"
	}); err != nil {
		t.Error(err)
	}
}
