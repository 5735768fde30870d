package whatsapp

import (
	"context"
	"errors"
	"sync"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A message to a phone number with no WhatsApp account is no error to
// whatsmeow's send itself: on an account WhatsApp moved to LIDs it fails
// with "no LID found for … from server", which read as a passing
// failure; on one it did not, it goes out to the user's own devices
// alone and WhatsApp keeps it pending for ever (waha issue 569;
// go-whatsapp-web-multidevice asks before each send since 4.9.5). The
// plugin asks WhatsApp, as its apps do when a chat with a new number
// opens, once per number and run.

// onWhatsApp is the numbers found on WhatsApp this run.
type onWhatsApp struct {
	mu    sync.Mutex
	known map[string]bool
}

func (o *onWhatsApp) has(user string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.known[user]
}

func (o *onWhatsApp) add(user string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.known == nil {
		o.known = map[string]bool{}
	}
	o.known[user] = true
}

// reachable checks that chat, when a one-to-one chat by phone number,
// is a WhatsApp account: a number whose LID is known is one (WhatsApp
// gives LIDs to its accounts only); any other is asked of WhatsApp, and
// one it says is not on WhatsApp is refused NOT_FOUND. A look-up that
// fails leaves the answer to the send (not connected, it says so).
func (s *Session) reachable(ctx context.Context, chat types.JID) error {
	if chat.Server != types.DefaultUserServer || s.isOwn(chat) || s.onWA.has(chat.User) || !s.ids.lidOf(chat).IsEmpty() {
		return nil
	}
	res, err := s.d.cli.IsOnWhatsApp(ctx, []string{"+" + chat.User})
	if err != nil || len(res) == 0 {
		if errors.Is(err, whatsmeow.ErrNotConnected) || errors.Is(err, whatsmeow.ErrNotLoggedIn) {
			return nil // the send says so
		}
		// Sent unchecked: to a number not on WhatsApp, it would stay
		// pending for ever, and the log is the only trace.
		s.log.Warn("number not looked up before a send: sent unchecked", "chat", chat, "err", err)
		return nil
	}
	if !res[0].IsIn {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND,
			"whatsapp: +%s is not on WhatsApp: nothing sent (check the number and its country code, or invite them from your phone)", chat.User)
	}
	s.onWA.add(chat.User)
	return nil
}
