package botmode

import (
	"errors"
	"sync"
	"time"

	"github.com/go-telegram/bot"
)

// A typing notification the Bot API refuses with 429 is not waited out
// as a send is (waitOutFlood): shown after the wait it would be stale.
// Nor is it the user's error: the gateway never shows one for a chat
// state, and the typing is only cosmetic. It is dropped, and so is every
// typing notification of the bot until Telegram's wait (retry_after) is
// over, the telegram session's repeats every 4 s of a composing user
// included: Telegram does not say whether the chat's limit or the bot's
// was hit, and typing is the least of what the bot sends. One log line
// says so, not one per repeat.

// typingQuietMin is how long typing stays quiet after a 429 that says
// no wait.
const typingQuietMin = 5 * time.Second

// typingQuiet is until when the bot's typing notifications are dropped.
type typingQuiet struct {
	mu    sync.Mutex
	until time.Time
}

// quiet reports whether typing is dropped now.
func (q *typingQuiet) quiet() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return time.Now().Before(q.until)
}

// left is how long typing stays dropped.
func (q *typingQuiet) left() time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	return max(0, time.Until(q.until))
}

// rateLimited reports whether err, a typing notification's, is a 429,
// and if so drops typing for the wait it asks.
func (q *typingQuiet) rateLimited(err error) bool {
	var tm *bot.TooManyRequestsError
	if !errors.As(err, &tm) {
		return false
	}
	wait := time.Duration(tm.RetryAfter) * time.Second
	if wait <= 0 {
		wait = typingQuietMin
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.until = time.Now().Add(wait)
	return true
}
