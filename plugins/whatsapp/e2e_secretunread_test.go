package whatsapp_test

import (
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// What is sent encrypted with a message's secret and cannot be read, in
// the plugin process on the remote fake, is a notice replying to that
// message, to look at the phone: a comment on an announcement whose
// secret was not kept (it came before the device was linked), a change
// to an event likewise, and a correction encrypted so
// (SecretEncryptedMessage MESSAGE_EDIT, which the pinned whatsmeow
// cannot decrypt). All three were dropped, logged only: a member's
// words lost, an event's new time or its cancellation not said. An
// encrypted reaction not read stays silent.
func TestSecretUnreadToldProcess(t *testing.T) {
	srv, _, evs, _ := processLoggedIn(t)
	target := &waCommon.MessageKey{RemoteJID: proto.String(group.String()), ID: proto.String("ROOT1"), FromMe: proto.Bool(false), Participant: proto.String(bob.String())}
	junk := []byte("0123456789abcdef0123456789abcdef")
	iv := []byte("0123456789ab")
	in := func(id string) types.MessageInfo {
		return types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: bob, IsGroup: true}, ID: types.MessageID(id), Timestamp: time.Now(), PushName: "Bob"}
	}
	for _, c := range []struct {
		id  string
		msg *waE2E.Message
	}{
		{"ENC1", &waE2E.Message{EncCommentMessage: &waE2E.EncCommentMessage{TargetMessageKey: target, EncPayload: junk, EncIV: iv}}},
		{"ENC2", &waE2E.Message{SecretEncryptedMessage: &waE2E.SecretEncryptedMessage{TargetMessageKey: target, EncPayload: junk, EncIV: iv,
			SecretEncType: waE2E.SecretEncryptedMessage_EVENT_EDIT.Enum()}}},
		{"ENC3", &waE2E.Message{SecretEncryptedMessage: &waE2E.SecretEncryptedMessage{TargetMessageKey: target, EncPayload: junk, EncIV: iv,
			SecretEncType: waE2E.SecretEncryptedMessage_MESSAGE_EDIT.Enum()}}},
		{"ENC5", &waE2E.Message{SecretEncryptedMessage: &waE2E.SecretEncryptedMessage{TargetMessageKey: target, EncPayload: junk, EncIV: iv,
			SecretEncType: waE2E.SecretEncryptedMessage_SecretEncType(9).Enum()}}},
		{"ENC4", &waE2E.Message{EncReactionMessage: &waE2E.EncReactionMessage{TargetMessageKey: target, EncPayload: junk, EncIV: iv}}},
	} {
		if err := srv.Receive(in(c.id), c.msg); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Receive(in("AFTER"), &waE2E.Message{Conversation: proto.String("after")}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ENC1": "⚠ A comment the gateway cannot read: see it on your phone.",
		"ENC2": "⚠ A change to this event the gateway cannot read: see it on your phone.",
		"ENC3": "⚠ A correction of this message the gateway cannot read: see it on your phone.",
		"ENC5": "⚠ Something about this message the gateway cannot read: see it on your phone.",
	}
	got := map[string]bool{}
	evs.NextEvent(func(ev *pb.Event) bool {
		if w, ok := want[ev.EventId]; ok {
			got[ev.EventId] = true
			if m := ev.GetMessage(); m.GetText() != w || m.GetReplyToId() != "ROOT1" || ev.ChatId != group.String() {
				t.Errorf("%s: %v, want %q replying to ROOT1", ev.EventId, ev, w)
			}
		} else if ev.EventId == "ENC4" {
			t.Errorf("an encrypted reaction not read shown: %v", ev)
		}
		return ev.EventId == "AFTER"
	})
	for id := range want {
		if !got[id] {
			t.Errorf("%s not told", id)
		}
	}
}
