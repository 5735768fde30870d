package irc

import (
	"context"
	"sync"
	"time"
)

// Servers disconnect a client that sends too much at once ("Excess
// Flood": Solanum past about 20 lines queued, taking one a second after
// a burst of 5; InspIRCd past its recvq). What the plugin sends of its
// own accord in numbers goes through a pacer: the lines of the user's
// messages (a paste of many lines) and the answers to CTCP queries.

// Pacing of the user's lines: lineBurst at once, then one each
// lineEvery, as servers take them.
const (
	lineBurst = 5
	lineEvery = time.Second
)

// pacer is a token bucket: burst tokens, one more each every.
type pacer struct {
	burst float64
	every time.Duration

	mu     sync.Mutex
	tokens float64
	last   time.Time
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

// allow takes a token if one is there now.
func (p *pacer) allow() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.takeLocked(time.Now()) > 0 {
		p.tokens++ // not taken
		return false
	}
	return true
}

// wait takes a token, waiting for it, in turn with other waiters; an
// error when ctx ends first (the token is given back).
func (p *pacer) wait(ctx context.Context) error {
	p.mu.Lock()
	d := p.takeLocked(time.Now())
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
