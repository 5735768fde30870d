package whatsapp

import (
	"context"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// A call missed live, then again in a history sync as WhatsApp's
// missed-call line (a stub keyed by the call's ID, as WhatsApp Web and
// Baileys key it): the history's line has the live message's ID
// (call-<ID>), so the gateway drops it as a duplicate. It had the
// stub's bare ID, and the call was said twice.
func TestHistoryMissedCallSeenLive(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)

	from := r.host.count()
	fake.Call(ctx, wafake.Call{Tag: "offer", ID: "CH1", From: alice.String(), At: now.Add(-time.Minute).Unix()})
	live, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	fake.Call(ctx, wafake.Call{Tag: "terminate", ID: "CH1", From: alice.String(), Reason: "timeout", At: now.Add(-30 * time.Second).Unix()})
	r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetEdit() != nil })

	stub := webMsg(alice, "CH1", false, now.Add(-time.Minute), "")
	stub.Message.Message = nil
	stub.Message.MessageStubType = waWeb.WebMessageInfo_CALL_MISSED_VOICE.Enum()
	fake.History(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{stub}}}})
	var got []string
	for _, b := range r.host.waitHistory(t, 1) {
		for _, ev := range b.Events {
			if ev.GetMessage().GetText() == "Missed voice call" {
				got = append(got, ev.EventId)
			}
		}
	}
	if len(got) != 1 || got[0] != live.EventId {
		t.Errorf("history's missed call has IDs %q; live %q", got, live.EventId)
	}
}
