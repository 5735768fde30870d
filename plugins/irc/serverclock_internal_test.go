package irc

import (
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"
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

// A PONG's server-time is taken over any other answer's: the echo of
// the user's JOIN (or the welcome) sets the clock only while no PONG
// told it on the connection. A JOIN's line may have waited behind
// others (NAMES of a big channel) where a PONG answers at once.
func TestServerClockPongFirst(t *testing.T) {
	n := &Network{host: &stateHost{}}
	s := newSession(n, "kit@irc.test:6667/x", Account{})
	at := func(d time.Duration) ircmsg.Message {
		return ircmsg.MakeMessage(map[string]string{"time": time.Now().Add(d).UTC().Format(time.RFC3339Nano)}, "srv", "X")
	}
	ahead := func() time.Duration { return time.Until(s.serverNow()) }
	s.learnClock(at(time.Hour), false)
	if d := ahead(); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("after a JOIN's echo an hour ahead, the server is %v ahead; want an hour", d)
	}
	s.learnClock(at(-time.Hour), true)
	s.learnClock(at(time.Hour), false)
	if d := ahead(); d > -59*time.Minute || d < -61*time.Minute {
		t.Errorf("after a PONG an hour behind then a JOIN's echo an hour ahead, the server is %v ahead; want an hour behind (the PONG's)", d)
	}
}
