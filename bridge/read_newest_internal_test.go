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
