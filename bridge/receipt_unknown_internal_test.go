package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestReceiptOfEntryWithoutAsks: a message map entry stored before the
// gateway kept what the user's client asked of the contact (as after an
// upgrade and a restart) gets the contact's receipt and marker once the
// user's client showed in the chat that it asks for them, and nothing
// before: unknown is not taken as asked for a client that may never.
func TestReceiptOfEntryWithoutAsks(t *testing.T) {
	tr, s := aliceOnEcho(t)
	ctx := context.Background()
	s.remember(ctx, sentMsg{chatID: "bob", id: "old"}, &pb.CommandResult{MessageId: "n-old", TimestampUnixMicro: time.Now().Add(-time.Minute).UnixMicro()})
	must(t, tr.db.Flush(ctx))
	receipt := func(kind pb.ReceiptEvent_Kind) string {
		ev := &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, Sender: &pb.Sender{UserId: "bob"},
			Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: kind, MessageIds: []string{"n-old"}}}}
		var all string
		for _, st := range tr.render(ctx, delivery{ev: ev, xid: tr.newID()}) {
			all += string(st)
		}
		return all
	}
	if out := receipt(pb.ReceiptEvent_KIND_DELIVERED); out != "" {
		t.Errorf("unknown asks, and no message of the chat asked: want nothing, got %s", out)
	}
	tr.recent.put(chatKey("l", "bob"), "new", recentMsg{receipt: true, markable: true})
	if out := receipt(pb.ReceiptEvent_KIND_DELIVERED); !strings.Contains(out, `<received xmlns="urn:xmpp:receipts" id="old"/>`) {
		t.Errorf("unknown asks, the chat's client asks: want the receipt, got %s", out)
	}
	if out := receipt(pb.ReceiptEvent_KIND_READ); !strings.Contains(out, `<displayed xmlns="urn:xmpp:chat-markers:0" id="old"/>`) {
		t.Errorf("unknown asks, the chat's client asks: want the marker, got %s", out)
	}
}
