package botmode

import (
	"context"
	"errors"
	"time"

	"github.com/go-telegram/bot"

	"passerelle.im/passerelle/plugins/telegram/floodwait"
)

// FloodWaitMax bounds how long one of the user's actions (a send, a
// correction...) waits out the Bot API's 429 Too Many Requests before it
// is asked again: Telegram did not act on it, so asking again acts once.
// A longer wait (retry_after), one past the command's deadline or one
// the answer does not say is the command's error at once (rate-limited,
// saying how long: commandError), as a user account's FLOOD_WAIT is.
var FloodWaitMax = 10 * time.Second

// waitOutFlood calls do until the Bot API answers it otherwise than with
// a short 429, waiting FloodWaitMax in all at most.
func waitOutFlood[T any](ctx context.Context, do func() (T, error)) (T, error) {
	return floodwait.Do(ctx, FloodWaitMax, do, func(err error) (time.Duration, bool) {
		var tm *bot.TooManyRequestsError
		if !errors.As(err, &tm) || tm.RetryAfter <= 0 {
			return 0, false
		}
		return time.Duration(tm.RetryAfter) * time.Second, true
	})
}
