package whatsapp

import (
	"context"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// History's chats by LID whose phone numbers the blob itself gives (its
// list of them, or the conversation's own pair) are the numbers' chats
// at once, not "lid-" contacts moved later: whatsmeow stores the blob's
// list off its event loop, maybe after the plugin converted the blob
// (the fake does not store it at all).
func TestHistoryLIDChatsByPhone(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	carolLID := types.NewJID("777888999", types.HiddenUserServer)
	danLID := types.NewJID("555666777", types.HiddenUserServer)
	msg := func(chat types.JID, id string) *waHistorySync.HistorySyncMsg {
		return historyMsg(chat, id, now.Add(-time.Hour), &waE2E.Message{Conversation: proto.String("hello from " + id)})
	}
	from := r.host.count()
	fake.History(context.Background(), &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_INITIAL_BOOTSTRAP.Enum(),
		PhoneNumberToLidMappings: []*waHistorySync.PhoneNumberToLIDMapping{{PnJID: proto.String("33633333333@c.us"), LidJID: proto.String(carolLID.String())}},
		Conversations: []*waHistorySync.Conversation{
			{ID: proto.String(carolLID.String()), Messages: []*waHistorySync.HistorySyncMsg{msg(carolLID, "CAROL1")}},
			{ID: proto.String(danLID.String()), LidJID: proto.String(danLID.String()), PnJID: proto.String("33644444444@s.whatsapp.net"),
				Messages: []*waHistorySync.HistorySyncMsg{msg(danLID, "DAN1")}},
		}})
	got := map[string]string{}
	for _, b := range r.host.waitHistory(t, 2) {
		for _, ev := range b.Events {
			got[ev.EventId] = b.ChatId + " " + ev.GetSender().GetUserId()
		}
	}
	if got["CAROL1"] != "+33633333333 +33633333333" || got["DAN1"] != "+33644444444 +33644444444" {
		t.Errorf("history chats and senders: %v", got)
	}
	for _, ev := range r.host.since(from) {
		if ev.GetIdentity() != nil {
			t.Errorf("a LID shown, then moved: %v", ev)
		}
	}
}
