package irc

import (
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircevent"
)

// A new connection forgets the last server's clock: it may be another
// server behind the same name, whose PONGs carry no time, and the old
// offset set its lines' times an hour off (history's copies then came
// back as second ones).
func TestServerClockForgottenAtNewConnection(t *testing.T) {
	n := &Network{host: &stateHost{}}
	s := newSession(n, "kit@irc.test:6667/x", Account{})
	s.mu.Lock()
	s.serverAhead, s.clockKnown = time.Hour, true
	s.handleServerClock(&ircevent.Connection{})
	s.mu.Unlock()
	if d := time.Until(s.serverNow()); d > time.Minute || d < -time.Minute {
		t.Errorf("serverNow is %v from ours on a new connection whose server told nothing; want ours", d)
	}
}
