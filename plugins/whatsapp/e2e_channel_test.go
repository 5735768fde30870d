package whatsapp_test

import (
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A post of a WhatsApp channel (newsletter) the user follows, in the
// plugin process on the remote fake, as WhatsApp delivers it (a
// <message> from <id>@newsletter, the post in <plaintext>, parsed by
// whatsmeow): not shown. It came as a message in a chat
// "<id>@newsletter" from a sender "<id>@newsletter", which ChatInfo
// described as a one-to-one chat: a broken contact chat, or a room the
// gateway could not describe. Channels are not bridged (README,
// "Deliberately not shown"). A message after it still comes.
func TestChannelPostNotShownProcess(t *testing.T) {
	srv, _, evs, _ := processLoggedIn(t)
	channel := types.NewJID("120363100000000001", types.NewsletterServer)
	for i, m := range []*waE2E.Message{
		{Conversation: proto.String("news of the day")},
		{ImageMessage: &waE2E.ImageMessage{Caption: proto.String("a picture"), Mimetype: proto.String("image/jpeg")}},
	} {
		if err := srv.ChannelPost(types.MessageInfo{MessageSource: types.MessageSource{Chat: channel, Sender: channel},
			ID: types.MessageID("NL" + string(rune('1'+i))), Timestamp: time.Now()}, m); err != nil {
			t.Fatal(err)
		}
	}
	info, msg := incoming(bob, "AFTER", "hi")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool {
		if strings.Contains(ev.ChatId, types.NewsletterServer) || strings.Contains(ev.GetSender().GetUserId(), types.NewsletterServer) {
			t.Errorf("a channel's post shown: %v", ev)
		}
		return ev.EventId == "AFTER"
	})
}

// A channel in the history sync, in the plugin process on the remote
// fake, is left out as its live posts are: its batch came as a chat
// "<id>@newsletter". The chat after it in the same sync still comes.
func TestHistoryChannelNotShownProcess(t *testing.T) {
	srv, p, _, _ := processLoggedIn(t)
	ctx, cancel := p.CallContext()
	defer cancel()
	h, err := p.Client().History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	channel := types.NewJID("120363100000000002", types.NewsletterServer)
	at := uint64(time.Now().Add(-2 * time.Hour).Unix())
	msgIn := func(chat types.JID, id, text string) *waHistorySync.HistorySyncMsg {
		return &waHistorySync.HistorySyncMsg{Message: &waWeb.WebMessageInfo{
			Key:              &waCommon.MessageKey{RemoteJID: proto.String(chat.String()), ID: proto.String(id), FromMe: proto.Bool(false)},
			MessageTimestamp: proto.Uint64(at), Message: &waE2E.Message{Conversation: proto.String(text)}}}
	}
	if err := srv.History(&waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(), Conversations: []*waHistorySync.Conversation{
		{ID: proto.String(channel.String()), Messages: []*waHistorySync.HistorySyncMsg{msgIn(channel, "NLH1", "an old post")}},
		{ID: proto.String(bob.String()), Messages: []*waHistorySync.HistorySyncMsg{msgIn(bob, "H1", "from the past")}},
	}}); err != nil {
		t.Fatal(err)
	}
	for {
		b, err := h.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.ChatId, types.NewsletterServer) {
			t.Errorf("a channel's history shown: %v", b)
			continue
		}
		if b.ChatId == "+"+bob.User {
			break
		}
	}
}

// Statuses, in the plugin process on the remote fake, as whatsmeow
// hands them over (the status broadcast as chat): a status, its
// deletion, its edit, a reaction to one there, and a contact's reaction
// to the user's status in their direct chat (the key naming the status
// broadcast) show nothing, neither as a chat "status@broadcast" nor as
// a reaction to a message the chat does not have. A message after them
// still comes.
func TestStatusesNotShownProcess(t *testing.T) {
	srv, _, evs, _ := processLoggedIn(t)
	status := types.StatusBroadcastJID
	inStatus := func(id string) types.MessageInfo {
		return types.MessageInfo{MessageSource: types.MessageSource{Chat: status, Sender: bob, IsGroup: true}, ID: types.MessageID(id), Timestamp: time.Now(), PushName: "Bob"}
	}
	statusKey := func(id string, fromMe bool) *waCommon.MessageKey {
		k := &waCommon.MessageKey{RemoteJID: proto.String(status.String()), ID: proto.String(id), FromMe: proto.Bool(fromMe)}
		if !fromMe {
			k.Participant = proto.String(bob.String())
		}
		return k
	}
	for _, c := range []struct {
		info types.MessageInfo
		msg  *waE2E.Message
	}{
		{inStatus("ST1"), &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("my day")}}},
		{inStatus("ST2"), &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(), Key: statusKey("ST1", false),
			EditedMessage: &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("my day, edited")}}}}},
		{inStatus("ST3"), &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_REVOKE.Enum(), Key: statusKey("ST1", false)}}},
		{inStatus("ST4"), &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Key: statusKey("MYSTATUS1", true), Text: proto.String("❤️")}}},
		{types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: "ST5", Timestamp: time.Now(), PushName: "Bob"},
			&waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Key: statusKey("MYSTATUS1", true), Text: proto.String("🔥")}}},
	} {
		if err := srv.Receive(c.info, c.msg); err != nil {
			t.Fatal(err)
		}
	}
	info, msg := incoming(bob, "AFTER", "hi")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool {
		if strings.Contains(ev.ChatId, "broadcast") || strings.HasPrefix(ev.EventId, "ST") || ev.GetReaction() != nil {
			t.Errorf("a status shown: %v", ev)
		}
		return ev.EventId == "AFTER"
	})
}
