package irc

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Servers disconnect a client that sends too much at once ("Excess
// Flood": Solanum past about 20 lines queued, taking one a second after
// a burst of 5; InspIRCd past its recvq). What the plugin sends of its
// own accord in numbers goes through a pacer: the lines of the user's
// messages (a paste of many lines) and the answers to CTCP queries.

// Pacing of the user's lines: lineBurst at once, then one each
// lineEvery, as servers take them. The login's throttle (Account.Throttle,
// like biboumi's throttle_limit) sets another pace after the burst, from
// minThrottle to maxThrottle lines a second, or none: a server of the
// user's own may have no flood protection (ngircd's MaxPenaltyTime = 0).
// Beyond those bounds a throttle is a typo (and a tiny one overflows the
// pacer's interval).
const (
	lineBurst   = 5
	lineEvery   = time.Second
	minThrottle = 0.01
	maxThrottle = 100
)

// linePacer paces the user's lines as acc says; nil when pacing is off.
func linePacer(acc Account) *pacer {
	every := lineEvery
	if acc.Throttle != nil {
		if *acc.Throttle <= 0 {
			return nil
		}
		every = time.Duration(float64(time.Second) / *acc.Throttle)
	}
	return newPacer(lineBurst, every)
}

// parseThrottle reads the login form's throttle: lines a second after
// the burst; nil for empty (the default pace), 0 for none ("off", 0, or
// biboumi's -1). problem says what is wrong with it.
func parseThrottle(field string) (throttle *float64, problem string) {
	s := strings.ToLower(strings.TrimSpace(field))
	if s == "" {
		return nil, ""
	}
	off := 0.0
	if s == "off" {
		return &off, ""
	}
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err == nil && (v == 0 || v == -1):
		return &off, ""
	case err != nil || math.IsNaN(v) || v < minThrottle || v > maxThrottle:
		return nil, fmt.Sprintf("Throttle must be the lines a second sent after %d at once (1 if empty; %g to %d, such as 0.5 or 2), or off (0) for no pacing, not %q.", lineBurst, minThrottle, maxThrottle, field)
	}
	return &v, ""
}

// pasteTime bounds how long one message's lines may take at the login's
// pace: well inside the SDK's deadline for a command (3 minutes), which
// would cut a longer paste short, half sent.
const pasteTime = 2 * time.Minute

// most is how many lines a fresh bucket lets out within d; with no
// pacing (nil), no limit.
func (p *pacer) most(d time.Duration) int {
	if p == nil {
		return math.MaxInt
	}
	return int(p.burst) + int(d/p.every)
}

// admit counts the n lines of a message in, among the lines of the
// login's messages under way and not yet sent (they go in turn, so each
// waits for the others' too), unless with those they cannot all go
// within d: then it returns false and how many could. A message of no
// more lines than a burst is always taken: its lines slow a paste beside
// it little. Each line is counted out with sent. Pacing off: no limit.
func (p *pacer) admit(n int, d time.Duration) (ok bool, room int) {
	if p == nil {
		return true, math.MaxInt
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	room = max(0, p.most(d)-p.queued)
	if n > int(p.burst) && n > room {
		return false, room
	}
	p.queued += n
	return true, room
}

// sent counts n lines of an admitted message out: sent, or given up.
func (p *pacer) sent(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.queued -= n
	p.mu.Unlock()
}

// pacer is a token bucket: burst tokens, one more each every.
type pacer struct {
	burst float64
	every time.Duration

	mu     sync.Mutex
	tokens float64
	last   time.Time
	// queued is the lines admitted and not yet sent (admit).
	queued int
	// now is the clock (nil: time.Now): tests set another, to check
	// the pacer's decisions without measuring its waits.
	now func() time.Time
}

// clock is the pacer's time now.
func (p *pacer) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

func newPacer(burst int, every time.Duration) *pacer {
	return &pacer{burst: float64(burst), every: every, tokens: float64(burst)}
}

// takeLocked takes a token at now, going into debt when there is none:
// the debt is how long the taker waits.
func (p *pacer) takeLocked(now time.Time) time.Duration {
	if !p.last.IsZero() {
		p.tokens = min(p.burst, p.tokens+float64(now.Sub(p.last))/float64(p.every))
	}
	p.last = now
	p.tokens--
	if p.tokens >= 0 {
		return 0
	}
	return time.Duration(-p.tokens * float64(p.every))
}

// allow takes a token if one is there now; a nil pacer always has one.
func (p *pacer) allow() bool {
	if p == nil {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.takeLocked(p.clock()) > 0 {
		p.tokens++ // not taken
		return false
	}
	return true
}

// wait takes a token, waiting for it, in turn with other waiters; an
// error when ctx ends first (the token is given back). A nil pacer
// (pacing off) does not wait.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	d := p.takeLocked(p.clock())
	p.mu.Unlock()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		p.tokens++
		p.mu.Unlock()
		return ctx.Err()
	}
}
