package whatsapp

import (
	"slices"
	"testing"

	"go.mau.fi/whatsmeow/proto/waSyncAction"
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
