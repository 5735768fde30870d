package telegram

import (
	"context"
	"math"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var _ sdk.ChatTimerSetter = (*Session)(nil)

// timerLengths says which auto-delete timers Telegram takes: whole days
// up to a year (TDLib: "from 0 up to 365 * 86400 and divisible by
// 86400"); its apps offer 1 day, 1 week and 1 month.
const timerLengths = "off (0) or whole days up to a year, such as 1 day, 1 week or 1 month"

// SetChatTimer sets a chat's auto-delete timer (sdk.ChatTimerSetter):
// messages.setHistoryTTL in a private chat, a basic group, a supergroup
// or a channel. Telegram checks the length: one it refuses
// (TTL_PERIOD_INVALID) is BAD_REQUEST naming those it takes. Its answer
// holds the service message messageActionSetMessagesTTL, which goes
// through the updates manager as the rest of Telegram's news: the
// manager drops the copy the update stream brings again (the same pts),
// so the timer notice (calls.go) comes once, from the user. A forum's
// timer is the whole forum's: it is set from the forum's room. A bot
// cannot set one: the Bot API has no such method.
func (s *Session) SetChatTimer(ctx context.Context, c sdk.Call, ttl time.Duration) error {
	if s.bot != nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "telegram: a bot cannot set a chat's auto-delete timer (the Bot API has no way to); set it in Telegram, or log in with a user account")
	}
	if err := inTopic(c.ChatID, "set the forum's auto-delete timer"); err != nil {
		return err
	}
	if ttl < 0 || ttl%time.Second != 0 || ttl/time.Second > math.MaxInt32 {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: Telegram's auto-delete timer is %s; not %v", timerLengths, ttl)
	}
	api, mgr, peer, err := s.chatPeer(ctx, c.ChatID)
	if err != nil {
		return err
	}
	upd, err := api.MessagesSetHistoryTTL(ctx, &tg.MessagesSetHistoryTTLRequest{Peer: peer, Period: int(ttl / time.Second)})
	switch {
	case tgerr.Is(err, "CHAT_NOT_MODIFIED"):
		return nil // the timer is that already
	case tgerr.Is(err, "TTL_PERIOD_INVALID"):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: Telegram's auto-delete timer is %s; not %v (TTL_PERIOD_INVALID)", timerLengths, ttl)
	case err != nil:
		return cmdErr("set the auto-delete timer", err)
	}
	if err := mgr.Handle(ctx, upd); err != nil {
		// The timer is set; the chat hears of it with the next news.
		s.n.log().Warn("telegram: updates of an auto-delete timer set", "login", s.login.LoginID, "err", err)
	}
	return nil
}
