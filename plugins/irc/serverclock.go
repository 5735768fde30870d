package irc

import (
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"
)

// The server's clock, as the user's lines without an echo are kept
// (ownstore.go): history's copy of such a line carries the server's
// time, and a server whose clock is minutes off the gateway's put it
// outside ownLineWindow of the send as the plugin's clock read it, so
// that the line came back from history as a second copy.

// handleServerClock learns how far the server's clock is ahead of ours
// from each PONG that carries server-time: a PONG answers the plugin's
// PING at once (a line relayed or queued may be older than its time
// says), and one comes after each send without an echo (confirmSent)
// and at each keepalive. Where the PONGs carry none (a server that
// tags only some lines), the other lines that answer the plugin's at
// once and may carry it are taken instead, until a PONG tells: the
// echo of the user's JOIN (never from a batch: a replay is as old as
// its time says) and the welcome (001). Before, such a server's clock
// was not learnt at all, and with one minutes off ours the user's
// lines came back from history as second copies. Called with mu
// held, for each new connection: what the last one's server told is
// forgotten, since this one may be another server behind the same
// name (a network's round-robin address), maybe one whose lines carry
// no time, and the old offset would set its lines' times wrong.
func (s *Session) handleServerClock(c *ircevent.Connection) {
	s.serverAhead, s.clockKnown, s.pongTold = 0, false, false
	s.on(c, "PONG", func(m ircmsg.Message) { s.learnClock(m, true) })
	s.on(c, ircevent.RPL_WELCOME, func(m ircmsg.Message) { s.learnClock(m, false) })
	s.on(c, "JOIN", func(m ircmsg.Message) {
		if batched, _ := m.GetTag("batch"); !batched && s.isSelf(m.Nick()) {
			s.learnClock(m, false)
		}
	})
}

// learnClock takes the server's clock from m's server-time, an answer
// at once to a line of the plugin's; a PONG's (pong) is taken over any
// other's.
func (s *Session) learnClock(m ircmsg.Message, pong bool) {
	ok, v := m.GetTag("time")
	if !ok {
		return
	}
	at, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !pong && s.pongTold {
		return
	}
	s.serverAhead, s.clockKnown = time.Until(at), true
	s.pongTold = s.pongTold || pong
}

// serverNow is the server's time now, as far as its PONGs tell; ours
// where none told.
func (s *Session) serverNow() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.clockKnown {
		return time.Now()
	}
	return time.Now().Add(s.serverAhead)
}
