package signal

import (
	"context"
	"errors"
	"fmt"
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
	var accs []struct {
		Number string `json:"number"`
	}
	err := c.Call(ctx, "listAccounts", nil, &accs)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		s.mu.Lock()
		current := s.c == c && s.up
		s.mu.Unlock()
		if !current {
			return // gone meanwhile: its onDown told it
		}
		msg := fmt.Sprintf("signal-cli does not answer (nothing in %v)", wait)
		if s.n.daemon != nil {
			msg += "; restarting it"
		} else {
			msg += "; waiting for it"
		}
		s.n.host.Logger().Warn("signal: "+msg, "login", s.loginID)
		s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, msg)
		if s.n.daemon != nil {
			s.n.daemon.restartHung(asked)
		}
	case err != nil:
		// Down (onDown tells it), or a signal-cli that does not know
		// listAccounts: nothing learnt.
	case s.acc.Number != "":
		for _, a := range accs {
			if a.Number == s.acc.Number {
				return
			}
		}
		s.accountGone(c, "it no longer lists it")
	}
}
