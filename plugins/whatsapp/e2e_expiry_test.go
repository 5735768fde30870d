package whatsapp_test

import (
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// The deadlines of disappearing messages cross the contract, from the
// plugin's process on the remote fake: an incoming message's event says
// it (a normal one's none), and so does the result of a send into a chat
// with a timer (into one without, none).
func TestExpiresProcess(t *testing.T) {
	srv, p, evs, done := processLoggedIn(t)

	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	from := types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, Timestamp: at, PushName: "Bob"}
	receive := func(id string, msg *waE2E.Message) *pb.Event {
		t.Helper()
		info := from
		info.ID = id
		if err := srv.Receive(info, msg); err != nil {
			t.Fatal(err)
		}
		return evs.NextEvent(func(ev *pb.Event) bool { return ev.EventId == id })
	}
	ev := receive("X1", &waE2E.Message{EphemeralMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
		Text: proto.String("gone tomorrow"), ContextInfo: &waE2E.ContextInfo{Expiration: proto.Uint32(86400)}}}}})
	if got, want := ev.GetMessage().GetExpiresUnixMicro(), at.Add(24*time.Hour).UnixMicro(); got != want {
		t.Errorf("disappearing message: expires %d, want %d (%v)", got, want, ev)
	}
	if ev = receive("X2", &waE2E.Message{Conversation: proto.String("stays")}); ev.GetMessage() == nil || ev.GetMessage().ExpiresUnixMicro != 0 {
		t.Errorf("normal message: %v", ev)
	}

	// Bob turns a week's timer on; the user's answer disappears a week
	// after it is sent.
	receive("T1", &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_EPHEMERAL_SETTING.Enum(),
		EphemeralExpiration: proto.Uint32(604800), EphemeralSettingTimestamp: proto.Int64(at.Unix())}})
	cmds := p.Commands()
	res := cmds.Send(plugintest.SendText(done.LoginId, "+"+bob.User, "tx1", "gone in a week"))
	if res.Error != nil || res.TimestampUnixMicro == 0 || res.ExpiresUnixMicro != res.TimestampUnixMicro+(7*24*time.Hour).Microseconds() {
		t.Errorf("send into the chat with a timer: %v", res)
	}
	res = cmds.Send(plugintest.SendText(done.LoginId, "+33633333333", "tx2", "stays"))
	if res.Error != nil || res.MessageId == "" || res.ExpiresUnixMicro != 0 {
		t.Errorf("send into a chat without one: %v", res)
	}
}
