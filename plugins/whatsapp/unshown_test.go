package whatsapp

import (
	"context"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A message of a kind the plugin has no words for (a payment, a
// product, a sticker pack, a kind newer than whatsmeow) is said, with
// where to see it, not dropped without a word; what shows nothing of its
// own (bookkeeping, an album's announcement, an event's answer, a keep
// in history) stays silent.
func TestInboundUnshown(t *testing.T) {
	newer := &waE2E.Message{}
	newer.ProtoReflect().SetUnknown(protowire.AppendBytes(protowire.AppendTag(nil, 999, protowire.BytesType), []byte("x")))
	notice := "⚠ A message of a kind the gateway cannot show: see it on your phone."
	cases := []struct {
		name string
		msg  *waE2E.Message
		want string // "" = nothing shown
	}{
		{"payment", &waE2E.Message{SendPaymentMessage: &waE2E.SendPaymentMessage{}}, notice},
		{"product", &waE2E.Message{ProductMessage: &waE2E.ProductMessage{}}, notice},
		{"product shared", &waE2E.Message{ProductMessage: &waE2E.ProductMessage{Body: proto.String("new in"), Product: &waE2E.ProductMessage_ProductSnapshot{
			Title: proto.String("Shoes"), Description: proto.String("red, size 40"), CurrencyCode: proto.String("EUR"),
			PriceAmount1000: proto.Int64(20000), SalePriceAmount1000: proto.Int64(15500), URL: proto.String("https://shop.example/shoes")}}},
			"Product: Shoes\nPrice: 15.50 EUR (was 20.00 EUR)\nred, size 40\nhttps://shop.example/shoes\nnew in"},
		{"sticker pack", &waE2E.Message{StickerPackMessage: &waE2E.StickerPackMessage{}, MessageContextInfo: &waE2E.MessageContextInfo{}}, notice},
		{"scheduled call changed, not cancelled", &waE2E.Message{ScheduledCallEditMessage: &waE2E.ScheduledCallEditMessage{Key: key(alice, "SC1", false)}}, notice},
		{"newer than whatsmeow", newer, notice},
		{"sender key only", &waE2E.Message{SenderKeyDistributionMessage: &waE2E.SenderKeyDistributionMessage{}, MessageContextInfo: &waE2E.MessageContextInfo{}}, ""},
		{"poll results shared", &waE2E.Message{PollResultSnapshotMessage: &waE2E.PollResultSnapshotMessage{Name: proto.String("Lunch?"),
			PollVotes: []*waE2E.PollResultSnapshotMessage_PollVote{{OptionName: proto.String("Pizza"), OptionVoteCount: proto.Int64(3)}, {OptionName: proto.String("Sushi"), OptionVoteCount: proto.Int64(1)}}}},
			"Poll results: Lunch?\nPizza: 3 votes\nSushi: 1 vote"},
		{"album announcement", &waE2E.Message{AlbumMessage: &waE2E.AlbumMessage{ExpectedImageCount: proto.Uint32(3)}}, ""},
		{"event answer", &waE2E.Message{EncEventResponseMessage: &waE2E.EncEventResponseMessage{}}, ""},
		{"keep in chat", &waE2E.Message{KeepInChatMessage: &waE2E.KeepInChatMessage{Key: key(alice, "M1", false)}}, ""},
		{"encrypted reaction", &waE2E.Message{EncReactionMessage: &waE2E.EncReactionMessage{}}, ""},
	}
	for _, tc := range cases {
		info := direct(alice, "U1")
		ev := testConv.message(&events.Message{Info: info, Message: tc.msg})
		got := ev.GetMessage().GetText()
		if got != tc.want || (tc.want == "" && ev != nil) {
			t.Errorf("%s: %v, want %q", tc.name, ev, tc.want)
		}
	}

	// Live, through whatsmeow's own handling.
	r := newRig(t, "")
	_, fake := r.connected(t)
	from := r.host.count()
	fake.Receive(context.Background(), &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "PAY1", Timestamp: when},
		&waE2E.Message{RequestPaymentMessage: &waE2E.RequestPaymentMessage{}})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.EventId != "PAY1" || ev.GetMessage().GetText() != notice {
		t.Errorf("live: %v", ev)
	}
}
