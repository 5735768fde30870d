package telegram

import (
	"errors"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// TestRetractDeletesParts: a send that Telegram took as several messages
// (one per file, a caption too long for its file after it) names the
// others in its result's metadata, and the retraction of the message
// deletes them all. Before, only the first went, and the contact kept
// the rest of what the user retracted.
func TestRetractDeletesParts(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	long := strings.Repeat("words ", 200) + "end"
	from := len(srv.Messages(bob.ID))
	res, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "parts"}, &pb.SendMessage{Text: long,
		Attachments: []*pb.Attachment{pdf("a.pdf"), pdf("b.pdf")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := newIn(srv, from); len(got) != 3 {
		t.Fatalf("bob got %q: want a.pdf, the text, b.pdf", got)
	}
	if _, err := s.Retract(ctx, sdk.Call{ChatID: "1002"}, &pb.Retract{TargetId: res.MessageID, TargetMeta: res.Meta}); err != nil {
		t.Fatal(err)
	}
	if got := newIn(srv, from); len(got) != 0 {
		t.Errorf("bob still has %q after the retraction, want nothing", got)
	}
}

// TestPartlySentNamesWhatWent: a send whose second file failed once the
// first went answers with the first's message beside the error (the
// contract's partly sent), so that the gateway maps it and its
// retraction deletes what bob got.
func TestPartlySentNamesWhatWent(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	from := len(srv.Messages(bob.ID))
	srv.FailRequest("messages.sendMedia", 2, "MEDIA_INVALID")
	res, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "half"},
		&pb.SendMessage{Text: "three", Attachments: []*pb.Attachment{pdf("a.pdf"), pdf("b.pdf"), pdf("c.pdf")}})
	var se *sdk.Error
	if !errors.As(err, &se) || res.MessageID == "" {
		t.Fatalf("a send half done: %+v, %v; want its first message and an error", res, err)
	}
	if got := newIn(srv, from); len(got) != 2 {
		t.Fatalf("bob got %q, want a.pdf and b.pdf", got)
	}
	if _, err := s.Retract(ctx, sdk.Call{ChatID: "1002"}, &pb.Retract{TargetId: res.MessageID, TargetMeta: res.Meta}); err != nil {
		t.Fatal(err)
	}
	if got := newIn(srv, from); len(got) != 0 {
		t.Errorf("bob still has %q after the retraction, want nothing", got)
	}
}
