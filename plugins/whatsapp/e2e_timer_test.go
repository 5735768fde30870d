package whatsapp_test

import (
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// The user sets a chat's timer through the contract (SetChatTimer, the
// gateway's /timer), to the plugin's process on the remote fake: the
// contact gets WhatsApp's setting message, the chat says the change once,
// as the user's, and the next send carries the timer and says its
// deadline; a length WhatsApp does not offer is BAD_REQUEST naming those
// it does.
func TestSetChatTimerProcess(t *testing.T) {
	srv, p, evs, done := processLoggedIn(t)
	chat := "+" + bob.User
	cmds := p.Commands()

	res := cmds.Send(plugintest.Act(done.LoginId, chat, "tm1", &pb.SetChatTimer{Seconds: 604800}))
	if res.Error != nil {
		t.Fatalf("set a week: %v", res.Error)
	}
	if _, err := srv.WaitSent(5*time.Second, func(to string, m *waE2E.Message) bool {
		pm := m.GetProtocolMessage()
		return to == bob.String() && pm.GetType() == waE2E.ProtocolMessage_EPHEMERAL_SETTING && pm.GetEphemeralExpiration() == 604800
	}); err != nil {
		t.Fatal(err)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != chat || !ev.Sender.GetIsFromMe() ||
		ev.GetMessage().Text != "Disappearing messages turned on: messages disappear 1 week after they are sent" {
		t.Errorf("the change: %v", ev)
	}
	res = cmds.Send(plugintest.SendText(done.LoginId, chat, "tx1", "gone in a week"))
	if res.Error != nil || res.TimestampUnixMicro == 0 || res.ExpiresUnixMicro != res.TimestampUnixMicro+(7*24*time.Hour).Microseconds() {
		t.Errorf("send after the set: %v", res)
	}
	if m, err := srv.WaitSent(5*time.Second, func(to string, m *waE2E.Message) bool {
		return m.GetExtendedTextMessage().GetText() == "gone in a week"
	}); err != nil || m.GetExtendedTextMessage().GetContextInfo().GetExpiration() != 604800 {
		t.Errorf("sent after the set: %v, %v", m, err)
	}

	res = cmds.Send(plugintest.Act(done.LoginId, chat, "tm2", &pb.SetChatTimer{Seconds: 3600}))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(res.Error.GetText(), "24 hours, 7 days or 90 days") {
		t.Errorf("set an hour: %v", res.Error)
	}
	// Said once: the next message is Bob's.
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: "AFTER", Timestamp: time.Now()},
		&waE2E.Message{Conversation: proto.String("after")}); err != nil {
		t.Fatal(err)
	}
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.EventId != "AFTER" {
		t.Errorf("after the change: %v", ev)
	}
}
