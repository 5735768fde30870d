package whatsapp

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// A contact's message to one of their broadcast lists reaches the user
// as WhatsApp shows it, in the direct chat with the contact (whatsmeow:
// MessageSource.IsIncomingBroadcast), not dropped; statuses stay out.
func TestBroadcastListMessage(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	list := types.NewJID("1733000000", types.BroadcastServer)
	from := r.host.count()
	// As whatsmeow parses it: the list as chat, the sender beside it.
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: list, Sender: alice, IsGroup: true}, ID: "BL1", Timestamp: when, PushName: "Alice"},
		&waE2E.Message{Conversation: proto.String("to all my friends")})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != "+33611111111" || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || ev.Sender.UserId != "+33611111111" ||
		ev.EventId != "BL1" || ev.GetMessage().Text != "to all my friends" {
		t.Errorf("broadcast list message: %v", ev)
	}

	// By LID, the phone number beside it: the number's chat.
	from = r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: list, Sender: aliceLID, SenderAlt: alice, IsGroup: true, AddressingMode: types.AddressingModeLID},
		ID: "BL2", Timestamp: when}, &waE2E.Message{Conversation: proto.String("again")})
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != "+33611111111" || ev.Sender.UserId != "+33611111111" {
		t.Errorf("broadcast list message by LID: %v", ev)
	}
}

// The user's message to one of their broadcast lists, sent from the
// phone, is shown in each recipient's chat as the user's own, as the
// recipients see it: whatsmeow names the recipients
// (MessageSource.BroadcastRecipients, from WhatsApp's <participants>),
// by phone number, or by LID with the number beside it. Before, it was
// dropped. One without recipients named stays out.
func TestOwnBroadcastListMessage(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	list := types.NewJID("1733000001", types.BroadcastServer)
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: list, Sender: phone, IsFromMe: true, IsGroup: true,
		BroadcastRecipients: []types.BroadcastRecipient{{PN: alice}, {LID: types.NewJID("444555777", types.HiddenUserServer), PN: bob}}}, ID: "OBL1", Timestamp: when},
		&waE2E.Message{Conversation: proto.String("to my list")})
	seen := map[string]bool{}
	for range 2 {
		ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "OBL1" && !seen[ev.ChatId] })
		seen[ev.ChatId] = true
		if ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || !ev.Sender.GetIsFromMe() || ev.GetMessage().GetText() != "to my list" {
			t.Errorf("own broadcast message: %v", ev)
		}
	}
	if !seen["+33611111111"] || !seen["+33622222222"] {
		t.Errorf("shown in %v, want the chats of both recipients", seen)
	}
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: list, Sender: phone, IsFromMe: true, IsGroup: true}, ID: "OBL2", Timestamp: when},
		&waE2E.Message{Conversation: proto.String("no recipients named")})
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "AFTER", Timestamp: when},
		&waE2E.Message{Conversation: proto.String("after")})
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "AFTER" })
	for _, ev := range r.host.since(from) {
		if ev.EventId == "OBL2" {
			t.Errorf("a message to a list without recipients shown: %v", ev)
		}
	}
}

// A recipient's receipts of the user's message to one of their lists
// (sent from the phone) mark it in the recipient's chat, where it is
// shown, as the phone's message info shows who received and read it: as
// whatsmeow parses them, they name the list as chat and the recipient
// beside it, and went to a chat of the list's, which has none here. A
// recipient named by LID is their number's chat. A status's views, on
// the status broadcast, are not shown.
func TestOwnBroadcastListReceipts(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	list := types.NewJID("1733000002", types.BroadcastServer)
	bobLID := types.NewJID("444555777", types.HiddenUserServer)
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: list, Sender: phone, IsFromMe: true, IsGroup: true,
		BroadcastRecipients: []types.BroadcastRecipient{{PN: alice}, {LID: bobLID, PN: bob}}}, ID: "OBL3", Timestamp: when},
		&waE2E.Message{Conversation: proto.String("to my list")})
	from := r.host.count()
	fake.Emit(&events.Receipt{MessageSource: types.MessageSource{Chat: list, Sender: alice, IsGroup: true}, MessageIDs: []string{"OBL3"}, Timestamp: when, Type: types.ReceiptTypeDelivered})
	fake.Emit(&events.Receipt{MessageSource: types.MessageSource{Chat: list, Sender: bobLID, IsGroup: true, AddressingMode: types.AddressingModeLID}, MessageIDs: []string{"OBL3"}, Timestamp: when, Type: types.ReceiptTypeRead})
	fake.Emit(&events.Receipt{MessageSource: types.MessageSource{Chat: types.StatusBroadcastJID, Sender: alice, IsGroup: true}, MessageIDs: []string{"STATUS1"}, Timestamp: when, Type: types.ReceiptTypeRead})
	fake.Emit(&events.Receipt{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, MessageIDs: []string{"AFTER"}, Timestamp: when, Type: types.ReceiptTypeRead})
	r.host.next(t, from, func(ev *pb.Event) bool { return slices.Contains(ev.GetReceipt().GetMessageIds(), "AFTER") })
	var got []string
	for _, ev := range r.host.since(from) {
		rc := ev.GetReceipt()
		if rc == nil || slices.Contains(rc.MessageIds, "AFTER") {
			continue
		}
		got = append(got, fmt.Sprintf("%s %s %s %v %v", ev.ChatId, ev.ChatType, ev.Sender.GetUserId(), rc.Kind, rc.MessageIds))
	}
	want := []string{
		"+33611111111 CHAT_TYPE_DIRECT +33611111111 KIND_DELIVERED [OBL3]",
		"+33622222222 CHAT_TYPE_DIRECT +33622222222 KIND_READ [OBL3]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("receipts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A contact's message to one of their broadcast lists, read in XMPP (in
// the chat with them, where it is shown), is read to the list, naming
// the contact, as whatsmeow's own delivery receipt of it goes (the
// receipt's to and participant are the message's from and participant)
// and as the recipient's phone reads it: the read went to the chat with
// the contact, naming no list, a message their phone keeps under the
// list. Their direct messages marked with it are read in their chat, as
// before; after a restart too (the list is kept in the read marks'
// journal).
func TestBroadcastListMessageRead(t *testing.T) {
	r := newRig(t, "")
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	info := sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir}
	s, fake := r.load(t, info)
	ctx := context.Background()
	list := types.NewJID("1733000003", types.BroadcastServer)
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "D1", Timestamp: when},
		&waE2E.Message{Conversation: proto.String("direct")})
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: list, Sender: alice, IsGroup: true}, ID: "BL3", Timestamp: when},
		&waE2E.Message{Conversation: proto.String("to all my friends")})
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: list, Sender: alice, IsGroup: true}, ID: "BL4", Timestamp: when},
		&waE2E.Message{Conversation: proto.String("again")})
	r.host.next(t, 0, func(ev *pb.Event) bool { return ev.EventId == "BL4" })
	if err := s.MarkRead(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.MarkRead{UpToId: "BL3", UpToMeta: msgMeta{Sender: alice}.encode()}); err != nil {
		t.Fatal(err)
	}
	reads := func(rs []wafake.Read) []string {
		var got []string
		for _, rd := range rs {
			got = append(got, fmt.Sprintf("%s %s %v", rd.Chat, rd.Sender, rd.IDs))
		}
		return got
	}
	want := []string{"33611111111@s.whatsapp.net  [D1]", "1733000003@broadcast 33611111111@s.whatsapp.net [BL3]"}
	if got := reads(fake.Reads()); !slices.Equal(got, want) {
		t.Errorf("reads:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	s.Disconnect(ctx)

	r2 := newRig(t, "")
	s2, fake2 := r2.load(t, info)
	if err := s2.MarkRead(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.MarkRead{UpToId: "BL4", UpToMeta: msgMeta{Sender: alice}.encode()}); err != nil {
		t.Fatal(err)
	}
	want = []string{"1733000003@broadcast 33611111111@s.whatsapp.net [BL4]"}
	if got := reads(fake2.Reads()); !slices.Equal(got, want) {
		t.Errorf("reads after a restart:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A contact's message to one of their broadcast lists read on the phone
// is read in the chat with them, where it is shown: the user's own
// receipt names the list (as whatsmeow parses a group's, the user as
// sender), and the plugin knows whose message it was from the read
// marks; it went nowhere (before: to a chat of the list's).
func TestBroadcastListMessageReadOnPhone(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	list := types.NewJID("1733000004", types.BroadcastServer)
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: list, Sender: alice, IsGroup: true}, ID: "BL5", Timestamp: when},
		&waE2E.Message{Conversation: proto.String("to all my friends")})
	r.host.next(t, 0, func(ev *pb.Event) bool { return ev.EventId == "BL5" })
	from := r.host.count()
	fake.Emit(&events.Receipt{MessageSource: types.MessageSource{Chat: list, Sender: phone, IsFromMe: true, IsGroup: true}, MessageIDs: []string{"BL5"}, Timestamp: when, Type: types.ReceiptTypeReadSelf})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetReceipt() != nil })
	if ev.ChatId != "+33611111111" || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || !ev.Sender.GetIsFromMe() ||
		ev.GetReceipt().Kind != pb.ReceiptEvent_KIND_READ || !slices.Equal(ev.GetReceipt().MessageIds, []string{"BL5"}) {
		t.Errorf("read on the phone: %v", ev)
	}
}
