package whatsapp

import (
	"context"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A text that is one spoiler from end to end (an XMPP client's XEP-0382
// <spoiler/>) goes hidden as WhatsApp's apps hide one, in the spoiler
// wrapper (field 118), its markup and the chat's timer inside: its
// bytes, received, read back through the plugin's own unwrapping as the
// same text, one spoiler. A part of a text marked as one goes plain, as
// before (WhatsApp hides whole messages only).
func TestSpoilerOut(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	if _, err := s.timers.set("+33611111111", 86400, time.Now().Unix()); err != nil {
		t.Fatal(err)
	}
	const text = "the butler did it"
	whole := []*pb.Span{{Start: 0, End: 17, Style: pb.Span_STYLE_SPOILER}, {Start: 4, End: 10, Style: pb.Span_STYLE_BOLD}}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33611111111", TxnID: "sp1"}, &pb.SendMessage{Text: text, Spans: whole}); err != nil {
		t.Fatal(err)
	}
	sent, err := fake.WaitSent(1, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b, err := proto.Marshal(sent[0].Msg)
	if err != nil {
		t.Fatal(err)
	}
	var back waE2E.Message
	if err := proto.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.GetConversation() != "" || back.GetExtendedTextMessage() != nil {
		t.Fatalf("the text went unwrapped: %v", &back)
	}
	in, w := unwrapped(&back)
	if !w.spoiler || in.GetExtendedTextMessage().GetText() != "the *butler* did it" || contextOf(in).GetExpiration() != 86400 {
		t.Errorf("inside the wrapper: spoiler %v, %v", w.spoiler, in)
	}
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "SP1", Timestamp: time.Now()}, &back)
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "SP1" })
	m := ev.GetMessage()
	var spoilers []string
	for _, sp := range m.GetSpans() {
		if sp.GetStyle() == pb.Span_STYLE_SPOILER {
			spoilers = append(spoilers, m.GetText()[sp.GetStart():sp.GetEnd()])
		}
	}
	if m.GetText() != "the *butler* did it" || len(spoilers) != 1 || spoilers[0] != m.GetText() {
		t.Errorf("read back: %q, spoilers %q", m.GetText(), spoilers)
	}

	// A part of the text: plain text, no wrapper.
	part := []*pb.Span{{Start: 4, End: 10, Style: pb.Span_STYLE_SPOILER}}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33622222222", TxnID: "sp2"}, &pb.SendMessage{Text: text, Spans: part}); err != nil {
		t.Fatal(err)
	}
	sent, err = fake.WaitSent(2, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if p := sent[1].Msg; p.GetConversation() != text || wrappedAs(p).spoiler {
		t.Errorf("a part spoiler: %v", p)
	}
}
