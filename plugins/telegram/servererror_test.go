package telegram

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A send Telegram fails on its side (a 500: RPC_CALL_FAIL, INTERNAL; its
// -503 Timeout) is unavailable, saying to try again, not an internal
// error of the gateway; sent again, it goes once. An unknown refusal
// (a 400 no case names) is a bad request with its name.
func TestTelegramServerErrors(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	call := sdk.Call{ChatID: "1002", TxnID: "server-error"}
	for _, c := range []struct {
		code int
		name string
		want pb.ErrorCode
	}{
		{500, "RPC_CALL_FAIL", pb.ErrorCode_ERROR_CODE_UNAVAILABLE},
		{-503, "Timeout", pb.ErrorCode_ERROR_CODE_UNAVAILABLE},
		{400, "SOMETHING_NEW_INVALID", pb.ErrorCode_ERROR_CODE_BAD_REQUEST},
	} {
		srv.FailRequestCode("messages.sendMessage", 0, c.code, c.name)
		_, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "once"})
		e := sdk.ToProto(err)
		if e.GetCode() != c.want || !strings.Contains(e.GetText(), c.name) {
			t.Errorf("a send failed with %d %s: %v, want %v naming it", c.code, c.name, err, c.want)
		}
		if c.want == pb.ErrorCode_ERROR_CODE_UNAVAILABLE && !strings.Contains(e.GetText(), "try again") {
			t.Errorf("%s: %q does not say to try again", c.name, e.GetText())
		}
	}
	if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "once"}); err != nil {
		t.Fatalf("the send again: %v", err)
	}
	n := 0
	for _, m := range srv.Messages(bob.ID) {
		if m.Message == "once" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("bob has the message %d times, want once", n)
	}
}
