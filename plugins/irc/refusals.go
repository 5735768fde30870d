package irc

import (
	"context"
	"slices"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A message the server does not relay is refused with a numeric (the
// nick left, the channel is moderated or the user banned in it), not
// echoed, and IRC does not say which line a numeric answers. So a send
// follows its lines with a PING of its own: the server's PONG comes
// after its answers to them, and a refusal naming the send's target
// that came before it is the send's error. Nothing sent is then lost
// without the user hearing of it.

// sendErrors are the server's refusals of a PRIVMSG, as the contract's
// errors, with the words the user reads.
var sendErrors = map[string]struct {
	code pb.ErrorCode
	why  string
}{
	ircevent.ERR_NOSUCHNICK:       {pb.ErrorCode_ERROR_CODE_NOT_FOUND, "nobody has that nick on the server now"},
	ircevent.ERR_NOSUCHCHANNEL:    {pb.ErrorCode_ERROR_CODE_NOT_FOUND, "there is no such channel"},
	ircevent.ERR_CANNOTSENDTOCHAN: {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the channel does not let you speak (moderated, or you are banned)"},
	// ngircd's for a channel whose members must be identified (+M).
	ircevent.ERR_NEEDREGGEDNICK: {pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "the channel takes messages from identified nicks only"},
	"486":                       {pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "they take messages from identified nicks only"},
	"493":                       {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "they take messages only from people in a channel with them"},
	"531":                       {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "they do not take your messages"},
	"716":                       {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "they take messages only from people they allowed (+g); the server told them you wrote"},
	// Solanum's (and charybdis') limit on messaging many nicks or
	// channels in a row; ircu's and InspIRCd's the same.
	"707": {pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "you are writing to too many different nicks or channels in a short time; wait a little"},
	"439": {pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "you are writing to too many different nicks or channels in a short time; wait a little"},
}

// sendWait is a send waiting for the server's answer to its lines.
type sendWait struct {
	target string // folded
	token  string // its PING's parameter
	// refused: the server's first refusal naming the target, as the
	// contract's code and the words the user reads.
	refused bool
	code    pb.ErrorCode
	why     string
	// dropped: the connection dropped before the PONG came, so
	// whether the server read the lines is not known.
	dropped bool
	done    chan struct{} // closed at its PONG, or when none will come
}

// handleRefusals gives the sends waiting the server's refusals, and ends
// their waits at their PONGs.
func (s *Session) handleRefusals(c *ircevent.Connection) {
	for code, e := range sendErrors {
		c.AddCallback(code, func(m ircmsg.Message) {
			if len(m.Params) < 2 {
				return
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if w := s.refusedSendLocked(m); w != nil && !w.refused {
				w.refused, w.code = true, e.code
				w.why = e.why + " (the server says: " + decodeText(lastParam(m)) + ")"
			}
		})
	}
	c.AddCallback("PONG", func(m ircmsg.Message) {
		s.mu.Lock()
		defer s.mu.Unlock()
		i := slices.IndexFunc(s.sendWaits, func(w *sendWait) bool { return w.token == lastParam(m) })
		if i < 0 {
			return
		}
		close(s.sendWaits[i].done)
		s.sendWaits = slices.Delete(s.sendWaits, i, i+1)
	})
}

// refusedSendLocked is the send a refusal answers: the oldest waiting
// whose target it names ("401 me dave :No such nick"); for a refusal
// that names none (ngircd's 486 and 493: "486 me :Cannot send to
// user..."), the oldest waiting to a nick. An older send's refusal came
// before its PONG, so the oldest is the one.
func (s *Session) refusedSendLocked(m ircmsg.Message) *sendWait {
	if len(m.Params) >= 3 {
		t := foldName(m.Params[1])
		if i := slices.IndexFunc(s.sendWaits, func(w *sendWait) bool { return w.target == t }); i >= 0 {
			return s.sendWaits[i]
		}
		return nil
	}
	if i := slices.IndexFunc(s.sendWaits, func(w *sendWait) bool { return !isChannel(w.target) }); i >= 0 {
		return s.sendWaits[i]
	}
	return nil
}

// awaitAnswer registers a send to target before its first line goes:
// the server may refuse the line before the send could wait for it.
// confirmSent waits for the answer; dropSendWait forgets it.
func (s *Session) awaitAnswer(target string) *sendWait {
	w := &sendWait{target: foldName(target), token: "passerelle-" + s.n.newID(), done: make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sendWaits = append(s.sendWaits, w)
	return w
}

// confirmSent waits, after send w's lines to target went, for the
// server to have answered them (at most EchoWait): its refusal is the
// error. A server that does not answer in time is no refusal: the
// lines went. A connection that drops meanwhile is an error: the lines
// may have been lost with it, and the user is told so rather than
// left to believe they arrived.
func (s *Session) confirmSent(ctx context.Context, conn *ircevent.Connection, w *sendWait, target string) error {
	defer s.dropSendWait(w)
	if err := conn.Send("PING", w.token); err != nil {
		return nil
	}
	t := time.NewTimer(EchoWait)
	defer t.Stop()
	select {
	case <-w.done:
	case <-t.C:
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case w.refused:
		return sdk.Errorf(w.code, "not delivered to %s: %s", decodeText(target), w.why)
	case w.dropped:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE,
			"the connection to %s dropped before the server confirmed the message to %s: it may not have arrived", s.acc.addr(), decodeText(target))
	}
	return nil
}

// dropSendWait forgets w, answered or given up.
func (s *Session) dropSendWait(w *sendWait) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.Index(s.sendWaits, w); i >= 0 {
		s.sendWaits = slices.Delete(s.sendWaits, i, i+1)
	}
}

// failSendWaitsLocked ends the sends' waits: the connection dropped, no
// answer will come.
func (s *Session) failSendWaitsLocked() {
	for _, w := range s.sendWaits {
		w.dropped = true
		close(w.done)
	}
	s.sendWaits = nil
}
