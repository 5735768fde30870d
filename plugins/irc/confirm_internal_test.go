package irc

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ergochat/irc-go/ircevent"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A send whose connection ended before its PING could follow its lines
// (the server hung up right after reading them, its close read first)
// is UNAVAILABLE, saying the message may not have arrived, as when the
// connection drops while the PONG is awaited. Before, the PING's failure
// was taken as the send's success: TestSendDroppedUnconfirmed failed so
// under load.
func TestConfirmSentConnectionGone(t *testing.T) {
	s := newSession(&Network{}, "kit@irc.test:6667", Account{Server: "irc.test", Port: 6667})
	w := s.awaitAnswer("dave", false)
	err := s.confirmSent(context.Background(), &ircevent.Connection{}, w, "dave")
	var e *sdk.Error
	if !errors.As(err, &e) || e.Code != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(e.Text, "may not have arrived") {
		t.Errorf("confirmSent on a connection gone: %v; want UNAVAILABLE, saying it may not have arrived", err)
	}
}
