package signal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/rpc"
)

// defaultLiveness is how often a connected session asks signal-cli a
// cheap question (listAccounts) when the config says nothing
// (liveness_check_seconds).
const defaultLiveness = time.Minute

// maxLivenessWait bounds the wait for that answer.
const maxLivenessWait = 30 * time.Second

// liveness is the interval between the checks.
func (n *Network) liveness() time.Duration {
	if n.cfg.LivenessSeconds > 0 {
		return time.Duration(n.cfg.LivenessSeconds) * time.Second
	}
	return defaultLiveness
}

// watchLive asks signal-cli for its accounts every liveness interval
// while c is the session's connection and subscribed. Without it a
// signal-cli hung with its socket open was noticed only by commands
// timing out, and a device unlinked while idle (signal-cli drops the
// account without a word) only at the next command. No answer: the
// login is told disconnected and the supervised signal-cli restarted;
// the account no longer listed: the login is to do again, as when a
// command finds it gone.
func (s *Session) watchLive(c *rpc.Client) {
	every := s.n.liveness()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		current, up := s.c == c, s.up
		s.mu.Unlock()
		if !current {
			return
		}
		if up {
			s.checkLive(c, min(every, maxLivenessWait))
		}
	}
}

// checkLive asks signal-cli once, waiting up to wait for its answer.
func (s *Session) checkLive(c *rpc.Client, wait time.Duration) {
	asked := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	var accs []account
	named := s.rpcAccount()
	number := s.account().Number
	err := c.Call(ctx, "listAccounts", nil, &accs)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		s.notAnswering(c, wait, asked)
	case err != nil:
		// Down (onDown tells it), or a signal-cli that does not know
		// listAccounts: nothing learnt.
	case number != "" && named == number && !slices.ContainsFunc(accs, func(a account) bool { return a.Number == number }) &&
		!s.renamedFrom(named):
		// (Asked by its ACI, the account's number is not known: the
		// next command finds an unlinked device.)
		s.accountGone(c, "it no longer lists it")
	default:
		s.answered(c)
	}
}

// account is an entry of listAccounts' answer.
type account struct {
	Number string `json:"number"`
	// ACI: newer signal-cli gives it too.
	ACI string `json:"aci"`
}

// notAnswering tells the login disconnected when signal-cli did not
// answer on c, still the session's subscribed connection, the question
// asked then, and has the supervised signal-cli restarted.
func (s *Session) notAnswering(c *rpc.Client, wait time.Duration, asked time.Time) {
	msg := fmt.Sprintf("signal-cli does not answer (nothing in %v)", wait)
	if s.n.daemon != nil {
		msg += "; restarting it"
	} else {
		msg += "; waiting for it"
	}
	s.stateMu.Lock()
	s.mu.Lock()
	hung := s.c == c && s.up
	s.hung = hung
	s.mu.Unlock()
	if hung {
		s.n.host.Logger().Warn("signal: "+msg, "login", s.loginID)
		s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, msg)
	}
	s.stateMu.Unlock()
	if hung && s.n.daemon != nil {
		s.n.daemon.restartHung(asked)
	}
}

// answered tells the login connected again when signal-cli, told as not
// answering, answers again on the same subscribed connection (an
// admin's daemon, not restarted, that recovered).
func (s *Session) answered(c *rpc.Client) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	s.mu.Lock()
	again := s.hung && s.c == c && s.up
	s.hung = false
	s.mu.Unlock()
	if again {
		s.state(pb.LoginState_LOGIN_STATE_CONNECTED, s.connectedText())
	}
}
