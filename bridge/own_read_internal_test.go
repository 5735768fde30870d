package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestOwnReadOnPhone: the user reading a chat on the phone (a read
// receipt of theirs) reaches their clients, with XEP-0356, as their
// displayed marker of the contact's newest message it names, sent as
// them; without the privilege, and for a delivery to their own device,
// nothing is shown. Before, such a receipt was dropped, or shown as the
// contact's receipt of the user's message.
func TestOwnReadOnPhone(t *testing.T) {
	tr, s := aliceOnEcho(t)
	ctx := context.Background()
	at := time.Now().Add(-time.Minute)
	must(t, tr.db.PutMessages(ctx, []store.MessageRef{
		{Transport: "echo", LoginID: "l", ChatID: "bob", RemoteID: "b1", ID: "x-b1", Time: at},
		{Transport: "echo", LoginID: "l", ChatID: "bob", RemoteID: "b2", ID: "x-b2", Time: at.Add(time.Second)},
	}))
	// The user's own message, whose receipts their client asked for.
	s.remember(ctx, sentMsg{chatID: "bob", id: "mine"}, &pb.CommandResult{MessageId: "a1"})
	tr.recent.put(chatKey("l", "bob"), "mine", recentMsg{receipt: true, markable: true})
	receipt := func(kind pb.ReceiptEvent_Kind, ids ...string) [][]byte {
		ev := &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, Sender: &pb.Sender{UserId: "l", IsFromMe: true},
			Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: kind, MessageIds: ids}}}
		return tr.render(ctx, delivery{ev: ev, xid: tr.newID()})
	}

	if out := receipt(pb.ReceiptEvent_KIND_READ, "b2", "b1"); len(out) != 0 {
		t.Errorf("without XEP-0356, a read on the phone shown: %s", out[0])
	}
	if out := receipt(pb.ReceiptEvent_KIND_DELIVERED, "a1"); len(out) != 0 {
		t.Errorf("the user's own device getting their message shown as a receipt: %s", out[0])
	}
	tr.mu.Lock()
	tr.perms = perms{ns: "urn:xmpp:privilege:2", message: "outgoing"}
	tr.mu.Unlock()
	out := receipt(pb.ReceiptEvent_KIND_READ, "b2", "b1")
	if len(out) != 1 {
		t.Fatalf("a read on the phone: %d stanzas, want its marker", len(out))
	}
	for _, want := range []string{`<privilege xmlns="urn:xmpp:privilege:2">`, `from="alice@localhost" to="bob@echo.localhost"`,
		`<displayed xmlns="urn:xmpp:chat-markers:0" id="x-b2"/>`} {
		if !strings.Contains(string(out[0]), want) {
			t.Errorf("the read on the phone lacks %s: %s", want, out[0])
		}
	}
	if out := receipt(pb.ReceiptEvent_KIND_DELIVERED, "a1"); len(out) != 0 {
		t.Errorf("with XEP-0356, the user's own device getting their message shown: %s", out[0])
	}
}
