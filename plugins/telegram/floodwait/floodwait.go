// Package floodwait waits out Telegram's short requests to slow down (a
// user account's FLOOD_WAIT, the Bot API's 429), for user accounts and
// bots alike: Telegram did not act on the request, so asking again acts
// once.
package floodwait

import (
	"context"
	"time"
)

// Do calls do until it answers otherwise than with a wait that fits:
// wait says how long an error asks to wait (false: it asks none). The
// waits total limit at most and end before ctx's deadline; a longer one
// is do's answer at once, as is ctx ending during one.
func Do[T any](ctx context.Context, limit time.Duration, do func() (T, error), wait func(error) (time.Duration, bool)) (T, error) {
	var waited time.Duration
	for {
		v, err := do()
		d, ok := wait(err)
		if !ok || waited+d > limit {
			return v, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			return v, err
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return v, err
		}
		waited += d
	}
}
