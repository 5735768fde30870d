package bridge

import (
	"context"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestReplyToKnownMessageWithoutTextQuotesNetwork: a reply to a message
// the gateway maps (its store outlives a restart) but whose text it no
// longer holds (the recent texts are memory only) carries the XEP-0461
// reference and the network's quote as its fallback. Before, the network's
// quote was used only for a message the gateway did not know, and this
// reply came with no quote: a client showing only the fallback showed an
// answer to nothing.
func TestReplyToKnownMessageWithoutTextQuotesNetwork(t *testing.T) {
	tr, _ := aliceOnEcho(t)
	ctx := context.Background()
	must(t, tr.db.PutMessages(ctx, []store.MessageRef{{Transport: "echo", LoginID: "l", ChatID: "bob", RemoteID: "m1", ID: "x1"}}))
	ev := &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, EventId: "m2", Sender: &pb.Sender{UserId: "bob"},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "yes", ReplyToId: "m1", QuoteText: "lunch?", QuoteAuthorId: "bob"}}}
	out := tr.render(ctx, delivery{ev: ev, xid: "x2"})
	if len(out) != 1 {
		t.Fatalf("%d stanzas", len(out))
	}
	got := string(out[0])
	if !strings.Contains(got, "<body>&gt; bob: lunch?\nyes</body>") {
		t.Fatalf("the reply does not quote the network's text: %s", got)
	}
	if !strings.Contains(got, `<reply xmlns="urn:xmpp:reply:0"`) || !strings.Contains(got, `id="x1"`) {
		t.Fatalf("the reply lost its reference to the known message: %s", got)
	}
	if !strings.Contains(got, `for="urn:xmpp:reply:0"`) {
		t.Fatalf("the quote is not marked as the reply's fallback: %s", got)
	}

	// The gateway's own copy, when it has one, is quoted instead.
	tr.recent.put(chatKey("l", "bob"), "x1", recentMsg{text: "lunch at noon?"})
	ev.EventId = "m3"
	out = tr.render(ctx, delivery{ev: ev, xid: "x3"})
	if len(out) != 1 || !strings.Contains(string(out[0]), "<body>&gt; lunch at noon?\nyes</body>") {
		t.Fatalf("the gateway's own text is not quoted: %s", out)
	}
}
