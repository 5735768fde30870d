package irc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/ergochat/irc-go/ircevent"

	pb "passerelle.im/passerelle/plugins/proto"
)

var (
	// errStopped ends a connection attempt that Disconnect stopped
	// while it waited.
	errStopped = errors.New("irc: disconnected while waiting to reconnect")
	// errAccountRefused ends the reconnections of a login whose SASL
	// account the server refused (ircevent's Loop logs it).
	errAccountRefused = errors.New("irc: the server refused the SASL account: not reconnecting")
	// errPasswordRefused ends the reconnections of a login whose
	// server password the server refused.
	errPasswordRefused = errors.New("irc: the server refused the server password: not reconnecting")
	// errBanned ends the reconnections of a login the server banned.
	errBanned = errors.New("irc: the server banned the login: not reconnecting")
)

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

// dial is connection c's dialer. Before a reconnection it waits (see
// backoff); then it connects, with TLS when the login asks for it (done
// here, so that the wait does not eat ircevent's handshake timeout). A
// reconnection whose SASL account the server refused, or that it
// refused with a ban, is not tried again.
func (s *Session) dial(ctx context.Context, c *ircevent.Connection, network, addr string) (net.Conn, error) {
	s.mu.Lock()
	n := s.attempts
	s.attempts++
	stop, looping := s.stop, s.looping
	prev := s.attempt
	s.attempt = nil
	nick := s.acc.Nick
	s.mu.Unlock()
	if c.PreferredNick() != nick {
		// A nick given on the server was preferred for the last
		// connection (renamedElsewhere): this one registers with the
		// login's. Not connected, c sends no NICK.
		c.SetNick(nick)
	}
	if prev != nil && !prev.registered && looping && !closed(stop) {
		// The previous reconnection reached the server but ended
		// during registration: ircevent's Loop only logs it.
		switch {
		case prev.saslRefused:
			s.accountRefused(c, prev)
			return nil, errAccountRefused
		case prev.passRefused != "":
			s.passwordRefused(c, prev)
			return nil, errPasswordRefused
		case prev.banned:
			s.bannedLogin(c, prev)
			return nil, errBanned
		case prev.saslAborted != "":
			s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, saslAbortedMessage(s.acc, prev))
		default:
			s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, registrationFailure(s.acc.addr(), prev)+"; trying again")
		}
	}
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
	conn, plain, err := s.connect(dctx, network, addr)
	if err == nil {
		q := newQuietConn(newCodecConn(conn, s.codec, s.chanCodec))
		w := &watchedConn{Conn: q}
		s.mu.Lock()
		s.attempt = &attempt{conn: w, quiet: q, withoutTLS: plain}
		s.mu.Unlock()
		return w, nil
	}
	if looping && !closed(stop) {
		// ircevent's Loop only logs why a reconnection failed: the user
		// is told here (a certificate that expired, a server still
		// down). Until the first connection, refused tells them.
		s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, fmt.Sprintf("could not reconnect to %s: %v; trying again", s.acc.addr(), err))
	}
	return conn, err
}

// connect opens one connection to the server, with TLS when the login
// asks for it: the certificate must be valid for the login's server
// host. A failure is a *dialError that says why. Where no TLS port
// could be reached and the login lists ports without TLS, it is on one
// of those, and plain says so: why the TLS ports were not reached, for
// the connected state.
func (s *Session) connect(ctx context.Context, network, addr string) (conn net.Conn, plain string, err error) {
	s.mu.Lock()
	s.plain = nil
	s.mu.Unlock()
	conn, withTLS, tlsErr, err := s.dialPorts(ctx, network, addr)
	if err != nil {
		return nil, "", &dialError{err}
	}
	if !s.acc.TLS {
		pc := newPlainConn(conn)
		s.mu.Lock()
		s.plain = pc
		s.mu.Unlock()
		return pc, "", nil
	}
	if !withTLS {
		// The user's choice (Account.PlainPorts), said where it is
		// made: in the connected state, and the log.
		plain = fmt.Sprintf("WITHOUT TLS, on %s: no TLS port could be reached (%v)", conn.RemoteAddr(), tlsErr)
		s.n.host.Logger().Warn("irc: connected without TLS, on a port the login lists for that", "login", s.loginID, "addr", conn.RemoteAddr().String(), "tls_ports", tlsErr)
		return conn, plain, nil
	}
	tc := tls.Client(conn, tlsConfig(s.acc.Server, s.n.cfg.roots, s.acc.Fingerprint))
	if err := tc.HandshakeContext(ctx); err != nil {
		// A TLS port that answers but fails TLS (a certificate not
		// trusted, plain text) does not lead to the ports without TLS:
		// whoever can spoil a handshake could take TLS away.
		conn.Close()
		return nil, "", &dialError{handshakeError(err)}
	}
	return tc, "", nil
}

// dialPorts connects to addr, the login's server and port, or where
// that cannot be reached (refused, no answer in time) to its other ports
// in turn, as biboumi tries its ports list; then, on a login with TLS,
// to its ports without TLS. Each gets an equal share of what is left of
// ctx's time. withTLS says whether conn's port is one of the TLS ports
// (or the login has TLS off), and tlsErr, where it is not, why those
// were not reached. The error says each port's failure.
func (s *Session) dialPorts(ctx context.Context, network, addr string) (conn net.Conn, withTLS bool, tlsErr, err error) {
	addrs := []string{addr}
	tlsPorts := 1
	if host, _, err := net.SplitHostPort(addr); err == nil {
		for _, p := range s.acc.OtherPorts {
			addrs = append(addrs, net.JoinHostPort(host, strconv.Itoa(p)))
		}
		tlsPorts = len(addrs)
		if s.acc.TLS {
			for _, p := range s.acc.PlainPorts {
				addrs = append(addrs, net.JoinHostPort(host, strconv.Itoa(p)))
			}
		}
	}
	var all error // each port's failure, wrapped
	for i, a := range addrs {
		sep := "; "
		if i == tlsPorts {
			tlsErr, sep = all, "; without TLS: "
		}
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if end, ok := ctx.Deadline(); ok {
			pctx, cancel = context.WithTimeout(ctx, time.Until(end)/time.Duration(len(addrs)-i))
		}
		conn, err := (&net.Dialer{}).DialContext(pctx, network, a)
		cancel()
		if err == nil {
			if i > 0 {
				s.n.host.Logger().Info("irc: connected on another port", "login", s.loginID, "addr", a, "not", all)
			}
			return conn, i < tlsPorts, tlsErr, nil
		}
		if all == nil {
			all = err
		} else {
			all = fmt.Errorf("%w%s%w", all, sep, err)
		}
	}
	return nil, false, tlsErr, all
}

// dialError is a connection attempt that did not reach IRC: the server
// cannot be reached, or TLS failed.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// refusedHint is what to check where a port refused the connection
// (nothing listens there: a login to 6697, the port with TLS by
// default, on a server of one's own without TLS), after the error; ""
// for another error.
func refusedHint(err error) string {
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return ""
	}
	return "; nothing listens on that port: check the server's port (usually 6697 with TLS, 6667 without; TLS off for a server without it)"
}

// closed reports whether ch is closed.
func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
