package irc

import (
	"context"
	"crypto/tls"
	"errors"
	"math/rand/v2"
	"net"
	"time"
)

// errStopped ends a connection attempt that Disconnect stopped while it
// waited.
var errStopped = errors.New("irc: disconnected while waiting to reconnect")

// backoff is the wait before connection attempt n (1 = the first after
// the connection dropped): lo doubled n-1 times, at most hi, then
// jittered down to between half and all of it, so that many logins
// dropped at once do not come back at once. rnd(k) is in [0, k).
func backoff(n int, lo, hi time.Duration, rnd func(int64) int64) time.Duration {
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	half := d / 2
	return half + time.Duration(rnd(int64(d-half)+1))
}

// dial is the connection's dialer. Before a reconnection it waits (see
// backoff); then it connects, with TLS when the login asks for it (done
// here, so that the wait does not eat ircevent's handshake timeout).
func (s *Session) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	s.mu.Lock()
	n := s.attempts
	s.attempts++
	stop := s.stop
	s.mu.Unlock()
	if n > 0 {
		cfg := s.n.cfg
		wait := backoff(n, time.Duration(cfg.ReconnectMin), time.Duration(cfg.ReconnectMax), rand.Int64N)
		s.n.host.Logger().Info("irc: reconnecting", "login", s.loginID, "attempt", n, "in", wait)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-stop:
			t.Stop()
			return nil, errStopped
		}
	}
	const timeout = 30 * time.Second
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(dctx, network, addr)
	if err != nil || !s.acc.TLS {
		return conn, err
	}
	tc := tls.Client(conn, &tls.Config{ServerName: s.acc.Server, MinVersion: tls.VersionTLS12})
	if err := tc.HandshakeContext(dctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}
