package whatsapp

import (
	"slices"
	"testing"

	"go.mau.fi/whatsmeow/proto/waSyncAction"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A chat marked read on the phone (its chat list's "mark as read", an
// app state change with no read-self receipt) is read on XMPP too: a
// read receipt of the user's for the others' messages it names; marked
// unread, nothing.
func TestChatMarkedReadOnPhone(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	rng := &waSyncAction.SyncActionMessageRange{Messages: []*waSyncAction.SyncActionMessage{
		{Key: key(alice, "IN1", false), Timestamp: proto.Int64(when.Unix())},
		{Key: key(alice, "OUT1", true), Timestamp: proto.Int64(when.Unix() + 1)},
		{Key: key(alice, "IN2", false), Timestamp: proto.Int64(when.Unix() + 2)},
	}}
	from := r.host.count()
	unread := &waSyncAction.SyncActionMessageRange{Messages: []*waSyncAction.SyncActionMessage{{Key: key(alice, "IN0", false)}}}
	fake.Emit(&events.MarkChatAsRead{JID: alice, Timestamp: when, Action: &waSyncAction.MarkChatAsReadAction{Read: proto.Bool(false), MessageRange: unread}})
	fake.Emit(&events.MarkChatAsRead{JID: alice, Timestamp: when, Action: &waSyncAction.MarkChatAsReadAction{Read: proto.Bool(true), MessageRange: rng}})
	// The first receipt: the unread mark told none.
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetReceipt() != nil })
	if rc := ev.GetReceipt(); ev.ChatId != "+33611111111" || !ev.GetSender().GetIsFromMe() || rc.Kind != pb.ReceiptEvent_KIND_READ || !slices.Equal(rc.MessageIds, []string{"IN1", "IN2"}) {
		t.Errorf("marked read: %v", ev)
	}
}

// The phone marking read what the plugin does not show (a channel it
// follows, the statuses), and a receipt in a channel, as whatsmeow
// dispatches them: no receipt. They came as the user's read receipts in
// a chat "status@broadcast", a one-to-one chat, or "<id>@newsletter".
func TestHiddenChatsMarkedReadNotShown(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	channel := types.NewJID("120363100000000003", types.NewsletterServer)
	rng := func(chat types.JID) *waSyncAction.SyncActionMessageRange {
		return &waSyncAction.SyncActionMessageRange{Messages: []*waSyncAction.SyncActionMessage{{Key: key(chat, "X1", false), Timestamp: proto.Int64(when.Unix())}}}
	}
	from := r.host.count()
	for _, chat := range []types.JID{types.StatusBroadcastJID, channel} {
		fake.Emit(&events.MarkChatAsRead{JID: chat, Timestamp: when, Action: &waSyncAction.MarkChatAsReadAction{Read: proto.Bool(true), MessageRange: rng(chat)}})
	}
	fake.Emit(&events.Receipt{MessageSource: types.MessageSource{Chat: channel, Sender: channel}, MessageIDs: []string{"NL1"}, Timestamp: when, Type: types.ReceiptTypeRead})
	fake.Emit(&events.MarkChatAsRead{JID: alice, Timestamp: when, Action: &waSyncAction.MarkChatAsReadAction{Read: proto.Bool(true), MessageRange: rng(alice)}})
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.ChatId == "+33611111111" && ev.GetReceipt() != nil })
	for _, ev := range r.host.since(from) {
		if ev.ChatId != "+33611111111" && ev.GetReceipt() != nil {
			t.Errorf("a receipt shown: %v", ev)
		}
	}
}
