package telegram

import (
	"errors"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Against the fake Telegram: a send Telegram answers with a short
// FLOOD_WAIT is sent once the wait is over (the same random_id, so
// never twice), a correction too; a wait longer than FloodWaitMax is the
// command's error at once, rate-limited, saying how long. The send
// failed at the first FLOOD_WAIT, however short.
func TestSendFloodWaitedOut(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	from := len(srv.Messages(bob.ID))
	srv.FailRequest("messages.sendMessage", 0, "FLOOD_WAIT_1")
	res, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "flood-1"}, &pb.SendMessage{Text: "after the wait"})
	if err != nil {
		t.Fatalf("a send after a 1 s flood wait: %v", err)
	}
	if got := newIn(srv, from); len(got) != 1 || got[0] != "after the wait" {
		t.Fatalf("bob got %q: want the message once", got)
	}
	if n := srv.Requests("messages.sendMessage"); n != 2 {
		t.Errorf("%d messages.sendMessage, want 2: refused, then sent", n)
	}

	srv.FailRequest("messages.editMessage", 0, "FLOOD_WAIT_1")
	if _, err := s.EditMessage(ctx, sdk.Call{ChatID: "1002"}, &pb.EditMessage{TargetId: res.MessageID, Text: "edited after the wait"}); err != nil {
		t.Errorf("a correction after a 1 s flood wait: %v", err)
	}

	srv.FailRequest("messages.sendMessage", 0, "FLOOD_WAIT_3600")
	_, err = s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "flood-2"}, &pb.SendMessage{Text: "not now"})
	var se *sdk.Error
	if !errors.As(err, &se) || se.Code != pb.ErrorCode_ERROR_CODE_RATE_LIMITED || !strings.Contains(se.Text, "1h0m0s") {
		t.Errorf("a send in an hour's flood wait: %v, want rate-limited saying 1h0m0s", err)
	}
	if got := newIn(srv, from); len(got) != 1 {
		t.Errorf("bob got %q: want the first message alone", got)
	}
}
