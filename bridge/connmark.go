package bridge

import (
	"sync/atomic"
	"time"
)

// Each Connect carries a number the gateway picks (ConnectRequest.
// connection), which the login's states say back (LoginStateEvent.
// connection; the Go SDK stamps them). A state of a connection before
// the login's latest, still on its way as the same account logs in or
// connects again (the BAD_CREDENTIALS or TRANSIENT_DISCONNECT of a
// connection being torn down), would otherwise answer the new login
// (login_connected.go) and show as the login's state: it is ignored. A
// state without a number (a plugin built before it) is taken as ever.

// connNumbers numbers a transport's Connects.
type connNumbers struct{ last atomic.Uint64 }

// seed starts the numbers past those of an earlier run of the gateway
// (its time, in nanoseconds), whose states a plugin's journal or the
// outbox may still replay. A clock set back between two runs gives
// lower numbers than the earlier run's: its states are then taken as
// the login's, as before the numbers; none of this run's is dropped.
func (c *connNumbers) seed(now time.Time) { c.last.Store(uint64(now.UnixNano())) }

// next is a number greater than every one given before.
func (c *connNumbers) next() uint64 { return c.last.Add(1) }

// newConnection numbers a Connect of the session's login about to be
// sent, or a state the gateway gives the login as it ends its connection
// (an administrator's disconnect): states of the login's connections
// before it are stale from now on.
func (s *session) newConnection() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newConnectionLocked()
}

// newConnectionLocked is newConnection, with s.mu held. The watch of a
// login just completed takes a number of its own too, before the login's
// Connect: a state of the connection before, caught between the two,
// would be taken for the new one's (login_connected.go).
func (s *session) newConnectionLocked() uint64 {
	n := s.t.conns.next()
	s.connFloor = max(s.connFloor, n)
	return n
}

// staleLocked reports whether a state numbered conn is of a connection
// before the login's latest; with s.mu held. 0 (no number) never is.
func (s *session) staleLocked(conn uint64) bool {
	return conn != 0 && conn < s.connFloor
}

// newConnection numbers a Connect of the login loginID about to be sent;
// a login no session has (gone meanwhile) gets a number all the same.
func (t *transport) newConnection(loginID string) uint64 {
	if s := t.sessionOf(loginID); s != nil {
		return s.newConnection()
	}
	return t.conns.next()
}
