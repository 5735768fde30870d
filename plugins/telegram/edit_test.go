package telegram

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A correction to the text the message has already (an XMPP client lets
// one correct a message without changing it; Telegram answers
// MESSAGE_NOT_MODIFIED) is no error: the message is as asked.
func TestEditUnchanged(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	res, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "e1"}, &pb.SendMessage{Text: "same words"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EditMessage(ctx, sdk.Call{ChatID: "1002"}, &pb.EditMessage{TargetId: res.MessageID, Text: "same words"}); err != nil {
		t.Errorf("a correction without a change: %v", err)
	}
	box := srv.Messages(bob.ID)
	if last := box[len(box)-1]; last.Message != "same words" || last.EditDate != 0 {
		t.Errorf("bob's copy %q (edited at %d)", last.Message, last.EditDate)
	}
}
