package whatsapp_test

import (
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A contact known by their LID shares their phone number with the user
// (WhatsApp's SHARE_PHONE_NUMBER, the answer to a request for it, which
// the apps show in the chat), in the plugin process on the remote fake:
// the chat says so, with the number, in the chat of the number (the
// share brings it beside the LID). Before, the protocol message was
// dropped without a word.
func TestSharePhoneNumberProcess(t *testing.T) {
	srv, _, evs, _ := processLoggedIn(t)
	lid := types.NewJID("777888999", types.HiddenUserServer)
	dave := types.NewJID("33644444444", types.DefaultUserServer)
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: lid, Sender: lid, SenderAlt: dave, AddressingMode: types.AddressingModeLID},
		ID: "SHARE1", Timestamp: time.Now(), PushName: "Dave"},
		&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_SHARE_PHONE_NUMBER.Enum()}}); err != nil {
		t.Fatal(err)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != "+33644444444" || ev.Sender.GetUserId() != "+33644444444" || ev.EventId != "SHARE1" ||
		!strings.Contains(ev.GetMessage().GetText(), "Shared their phone number with you: +33644444444") {
		t.Errorf("the share: %v", ev)
	}
}

// A member sets their tag in a group (WhatsApp's GROUP_MEMBER_LABEL_CHANGE,
// which the phones show beside the member's name), in the plugin process
// on the remote fake: a line in the group's chat from the member. Before,
// the protocol message was dropped without a word.
func TestMemberTagProcess(t *testing.T) {
	srv, _, evs, _ := processLoggedIn(t)
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: bob, IsGroup: true}, ID: "TAG1", Timestamp: time.Now(), PushName: "Bob"},
		&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_GROUP_MEMBER_LABEL_CHANGE.Enum(),
			MemberLabel: &waE2E.MemberLabel{Label: proto.String("Treasurer")}}}); err != nil {
		t.Fatal(err)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != group.String() || ev.Sender.GetUserId() != "+"+bob.User || ev.GetMessage().GetText() != "Set their member tag in this group: «Treasurer»" {
		t.Errorf("the member tag: %v", ev)
	}
}

// The user sets or removes their own member tag from the phone (the same
// protocol message, from the user): a line from the user that reads as
// the user's own, "You set your member tag…", where it read "Set their
// member tag…" as if of someone else.
func TestMemberTagOwnProcess(t *testing.T) {
	srv, _, evs, _ := processLoggedIn(t)
	for _, c := range []struct{ id, label, want string }{
		{"TAG2", "Organiser", "You set your member tag in this group: «Organiser»"},
		{"TAG3", "", "You removed your member tag in this group"},
	} {
		if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: me, IsFromMe: true, IsGroup: true}, ID: c.id, Timestamp: time.Now()},
			&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_GROUP_MEMBER_LABEL_CHANGE.Enum(),
				MemberLabel: &waE2E.MemberLabel{Label: proto.String(c.label)}}}); err != nil {
			t.Fatal(err)
		}
		ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.EventId == c.id })
		if ev.ChatId != group.String() || !ev.Sender.GetIsFromMe() || ev.GetMessage().GetText() != c.want {
			t.Errorf("the user's own member tag %q: %v, want %q", c.label, ev, c.want)
		}
	}
}
