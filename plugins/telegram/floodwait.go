package telegram

import (
	"context"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"passerelle.im/passerelle/plugins/telegram/floodwait"
)

// FloodWaitMax bounds how long one of the user's actions (a send, a
// correction...) waits out Telegram's FLOOD_WAIT before it is asked
// again: Telegram refused it, so asking again sends it once (a send
// keeps its random_id). A longer wait, or one past the command's
// deadline, is the command's error at once (rate-limited, saying how
// long: cmdErr).
var FloodWaitMax = 10 * time.Second

// waitsFlood reports whether a request is one of the user's actions
// whose short flood waits are waited out; reads and the updates
// manager's requests are not (they have their own retries, or a caller
// that may hold a lock).
func waitsFlood(in bin.Encoder) bool {
	switch in.(type) {
	case *tg.MessagesSendMessageRequest, *tg.MessagesSendMediaRequest, *tg.MessagesEditMessageRequest,
		*tg.MessagesSendReactionRequest, *tg.MessagesDeleteMessagesRequest, *tg.ChannelsDeleteMessagesRequest,
		*tg.MessagesSendVoteRequest, *tg.MessagesUpdatePinnedMessageRequest:
		return true
	}
	return false
}

// waitFlood is the middleware that waits out short flood waits of the
// user's actions, FloodWaitMax in all per request.
func waitFlood() telegram.Middleware {
	return telegram.MiddlewareFunc(func(next tg.Invoker) telegram.InvokeFunc {
		return func(ctx context.Context, in bin.Encoder, out bin.Decoder) error {
			if !waitsFlood(in) {
				return next.Invoke(ctx, in, out)
			}
			_, err := floodwait.Do(ctx, FloodWaitMax, func() (struct{}, error) {
				return struct{}{}, next.Invoke(ctx, in, out)
			}, func(err error) (time.Duration, bool) {
				d, ok := tgerr.AsFloodWait(err)
				return max(d, time.Second), ok // FLOOD_WAIT_0 counts too
			})
			return err
		}
	})
}
