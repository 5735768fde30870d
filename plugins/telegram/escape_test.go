package telegram

import (
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A text that starts with "//" and a letter goes with one slash less,
// as on Signal and IRC, so that the words of a gateway command ("/timer
// x") can be sent as text; its spans move back with it. "// note"
// keeps its slashes.
func TestEscapedChatCommandSent(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	x := &pb.Span{Start: 8, End: 9, Style: pb.Span_STYLE_BOLD}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "t1"}, &pb.SendMessage{Text: "//timer x", Spans: []*pb.Span{x}}); err != nil {
		t.Fatal(err)
	}
	box := srv.Messages(bob.ID)
	last := box[len(box)-1]
	if last.Message != "/timer x" {
		t.Errorf("bob got %q, want %q", last.Message, "/timer x")
	}
	if len(last.Entities) != 1 {
		t.Fatalf("bob got the entities %v, want x in bold", last.Entities)
	}
	if b, ok := last.Entities[0].(*tg.MessageEntityBold); !ok || b.Offset != 7 || b.Length != 1 {
		t.Errorf("bob got the entity %v, want bold at 7, length 1", last.Entities[0])
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "t2"}, &pb.SendMessage{Text: "// note"}); err != nil {
		t.Fatal(err)
	}
	box = srv.Messages(bob.ID)
	if last := box[len(box)-1]; last.Message != "// note" {
		t.Errorf("bob got %q, want %q as typed", last.Message, "// note")
	}
}
