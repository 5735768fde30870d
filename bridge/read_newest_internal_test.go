package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestReadReceiptMarksNewest: a contact's read receipt naming several of
// the user's messages is one displayed marker (XEP-0333) of the newest
// the client made markable, whatever the order the network names them
// in. Before, only the last one named counted: the newest, named first,
// stayed unread, and nothing was shown when the last was not markable.
func TestReadReceiptMarksNewest(t *testing.T) {
	tr, s := aliceOnEcho(t)
	ctx := context.Background()
	at := time.Now().Add(-time.Minute)
	for i, id := range []string{"u1", "u2", "u3"} {
		s.remember(ctx, sentMsg{chatID: "bob", id: id}, &pb.CommandResult{MessageId: "n-" + id, TimestampUnixMicro: at.Add(time.Duration(i) * time.Second).UnixMicro()})
	}
	tr.recent.put(chatKey("l", "bob"), "u1", recentMsg{markable: true})
	tr.recent.put(chatKey("l", "bob"), "u2", recentMsg{markable: true})
	tr.recent.put(chatKey("l", "bob"), "u3", recentMsg{}) // sent by a client without markers
	must(t, tr.db.Flush(ctx))
	read := func(ids ...string) [][]byte {
		ev := &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, Sender: &pb.Sender{UserId: "bob"},
			Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_READ, MessageIds: ids}}}
		return tr.render(ctx, delivery{ev: ev, xid: tr.newID()})
	}
	for _, ids := range [][]string{{"n-u2", "n-u1"}, {"n-u1", "n-u2", "n-u3"}} {
		out := read(ids...)
		if len(out) != 1 || !strings.Contains(string(out[0]), `<displayed xmlns="urn:xmpp:chat-markers:0" id="u2"/>`) {
			t.Errorf("read of %v: %q, want one marker of u2", ids, out)
		}
	}
}

// TestReadReceivedForReceiptsOnly: a contact's read of a message whose
// client asked for a XEP-0184 receipt but did not make it markable (a
// client without XEP-0333: Profanity, Psi) is its receipt: a read
// message was received, and a network that tells only reads (Telegram)
// left such a client without any. A markable one still gets only the
// marker.
func TestReadReceivedForReceiptsOnly(t *testing.T) {
	tr, s := aliceOnEcho(t)
	ctx := context.Background()
	at := time.Now().Add(-time.Minute)
	for i, id := range []string{"r1", "m1"} {
		s.remember(ctx, sentMsg{chatID: "bob", id: id}, &pb.CommandResult{MessageId: "n-" + id, TimestampUnixMicro: at.Add(time.Duration(i) * time.Second).UnixMicro()})
	}
	tr.recent.put(chatKey("l", "bob"), "r1", recentMsg{receipt: true})
	tr.recent.put(chatKey("l", "bob"), "m1", recentMsg{receipt: true, markable: true})
	must(t, tr.db.Flush(ctx))
	ev := &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, Sender: &pb.Sender{UserId: "bob"},
		Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_READ, MessageIds: []string{"n-r1", "n-m1"}}}}
	out := tr.render(ctx, delivery{ev: ev, xid: tr.newID()})
	all := ""
	for _, o := range out {
		all += string(o) + "\n"
	}
	if len(out) != 2 || !strings.Contains(all, `<received xmlns="urn:xmpp:receipts" id="r1"/>`) ||
		!strings.Contains(all, `<displayed xmlns="urn:xmpp:chat-markers:0" id="m1"/>`) {
		t.Errorf("read of a receipt-only and a markable message: %s; want a receipt of r1 and a marker of m1", all)
	}
	// Delivered, then read: one receipt.
	s.remember(ctx, sentMsg{chatID: "bob", id: "r2"}, &pb.CommandResult{MessageId: "n-r2", TimestampUnixMicro: at.Add(5 * time.Second).UnixMicro()})
	tr.recent.put(chatKey("l", "bob"), "r2", recentMsg{receipt: true})
	must(t, tr.db.Flush(ctx))
	for i, kind := range []pb.ReceiptEvent_Kind{pb.ReceiptEvent_KIND_DELIVERED, pb.ReceiptEvent_KIND_READ} {
		ev := &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, Sender: &pb.Sender{UserId: "bob"},
			Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: kind, MessageIds: []string{"n-r2"}}}}
		out := tr.render(ctx, delivery{ev: ev, xid: tr.newID()})
		if want := 1 - i; len(out) != want {
			t.Errorf("%v of r2 delivered before: %q, want %d receipt", kind, out, want)
		}
	}
}
