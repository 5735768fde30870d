package irc

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A message the server does not relay is refused with a numeric (the
// nick left, the channel is moderated or the user banned in it), not
// echoed, and IRC does not say which line a numeric answers. The server
// answers a client's lines in order, so the plugin tells which line a
// refusal answers by what came before and after it:
//
//   - Where the server echoes the user's lines (echo-message), every
//     PRIVMSG and TAGMSG gets one answer, its echo or its refusal, in
//     the order the lines went (s.echoes, registered in that order under
//     wireMu): a refusal naming a target is the oldest line to it still
//     unanswered. The echo confirms a send, no PING needed.
//   - Without echo-message, a send follows its lines with a PING of its
//     own: the server's PONG comes after its answers to them, and a
//     refusal naming the send's target that came before it is the
//     send's error.
//   - A command whose refusals a send's could be taken for (a moderation
//     command: a 401 for a KICK or INVITE; a TAGMSG of typing without
//     echo-message) goes between two PINGs of its own, with no other
//     line of the plugin's between them (a window): what comes between
//     the two PONGs is its answer alone.
//
// Nothing sent is then lost without the user hearing of it, and no
// refusal is taken for another line's.

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

// floodThrottled reads Solanum's, charybdis' and Hybrid's refusal of a
// message for flooding, which is a server notice to the user, not a
// numeric: ":srv NOTICE me :*** Message to #c throttled due to
// flooding". The message is dropped; target is the one it names.
func floodThrottled(m ircmsg.Message) (target string, ok bool) {
	if len(m.Params) != 2 || strings.Contains(m.Source, "!") || isChannel(m.Params[0]) {
		return "", false
	}
	rest, ok := strings.CutPrefix(m.Params[1], "*** Message to ")
	if !ok {
		return "", false
	}
	target, ok = strings.CutSuffix(rest, " throttled due to flooding")
	return target, ok && target != "" && !strings.Contains(target, " ")
}

// sendWait is a send waiting for the server's answer to its lines.
type sendWait struct {
	target string // folded
	token  string // its PING's parameter ("" where its echoes answer it)
	// refused: the server's first refusal naming the target, as the
	// contract's code and the words the user reads.
	refused bool
	code    pb.ErrorCode
	why     string
	// dropped: the connection dropped before the PONG came, so
	// whether the server read the lines is not known.
	dropped bool
	// away: the server answered with a 301, its target is away.
	away bool
	done chan struct{} // closed at its PONG, or when none will come
}

// window is the span of the server's answers to one command alone: its
// lines went between two PINGs of its own (open, close), with no other
// line of the plugin's between them (wireMu), so what comes after the
// first PONG and before the second answers them and nothing else.
type window struct {
	open, close string
	active      bool // the first PONG came, not the second
	// shown: the server's numerics in it are shown as its messages
	// (server.go); notices: its own NOTICEs too (the lines are
	// commands the user typed; not the plugin's IDENTIFY).
	shown, notices bool
}

// newWindow is a window for lines to send (sendInWindow); closeToken,
// when not "", is its second PING's token (a moderation command waits
// for it).
func (s *Session) newWindow(closeToken string) *window {
	if closeToken == "" {
		closeToken = "passerelle-" + s.n.newID()
	}
	return &window{open: "passerelle-" + s.n.newID(), close: closeToken}
}

// sendInWindow sends lines between w's two PINGs, under wireMu. A line
// that cannot be sent ends the window.
func (s *Session) sendInWindow(conn *ircevent.Connection, w *window, lines ...ircmsg.Message) error {
	s.wireMu.Lock()
	defer s.wireMu.Unlock()
	return s.sendInWindowLocked(conn, w, lines...)
}

// sendInWindowLocked is sendInWindow for a caller holding wireMu.
func (s *Session) sendInWindowLocked(conn *ircevent.Connection, w *window, lines ...ircmsg.Message) error {
	s.mu.Lock()
	s.windows = append(s.windows, w)
	s.mu.Unlock()
	all := append(append([]ircmsg.Message{ircmsg.MakeMessage(nil, "", "PING", w.open)}, lines...), ircmsg.MakeMessage(nil, "", "PING", w.close))
	for _, l := range all {
		if err := conn.SendIRCMessage(l); err != nil {
			s.closeWindow(w)
			return err
		}
	}
	return nil
}

// closeWindow forgets w: its second PONG came, or will not.
func (s *Session) closeWindow(w *window) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.active = false
	s.windows = slices.DeleteFunc(s.windows, func(o *window) bool { return o == w })
}

// inWindowLocked reports whether the server is answering a window's
// lines now: a refusal is theirs, no send's.
func (s *Session) inWindowLocked() bool {
	return slices.ContainsFunc(s.windows, func(w *window) bool { return w.active })
}

// handleRefusals gives the lines waiting the server's refusals, and ends
// the sends' waits at their PONGs and the windows at theirs.
func (s *Session) handleRefusals(c *ircevent.Connection) {
	refuse := func(m ircmsg.Message, code pb.ErrorCode, why string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.inWindowLocked() {
			// A moderation command's, a TAGMSG's, or a command's
			// after connecting: a PRIVMSG among those gets this in
			// its echo's stead, which is waited for no more.
			s.refusedLineLocked(m)
			return
		}
		w, ok := s.refusedLineLocked(m)
		if !ok {
			w = s.refusedSendLocked(m)
		}
		if w != nil && !w.refused {
			w.refused, w.code = true, code
			w.why = why + " (the server says: " + decodeText(lastParam(m)) + ")"
		}
	}
	for code, e := range sendErrors {
		s.on(c, code, func(m ircmsg.Message) {
			if len(m.Params) < 2 {
				return
			}
			refuse(m, e.code, e.why)
		})
	}
	s.on(c, "NOTICE", func(m ircmsg.Message) {
		if target, ok := floodThrottled(m); ok {
			// As a numeric naming the target: "<me> <target> :text".
			refuse(ircmsg.Message{Source: m.Source, Command: m.Command, Params: []string{m.Params[0], target, lastParam(m)}},
				pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "the server dropped it: too many lines to one nick or channel at once (its flood protection); send again more slowly")
		}
	})
	s.on(c, "PONG", func(m ircmsg.Message) {
		token := lastParam(m)
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, w := range s.windows {
			switch token {
			case w.open:
				w.active = true
				return
			case w.close:
				w.active = false
				s.windows = slices.Delete(s.windows, i, i+1)
				return
			}
		}
		i := slices.IndexFunc(s.sendWaits, func(w *sendWait) bool { return w.token == token })
		if i < 0 {
			return
		}
		close(s.sendWaits[i].done)
		s.sendWaits = slices.Delete(s.sendWaits, i, i+1)
	})
}

// lineWaitingLocked reports whether a line the user sent to target
// (folded) is still unanswered where the server echoes: its echo, or
// the refusal in its stead, is to come. It may be late, its send
// returned (EchoWait) and the chat's next command running.
func (s *Session) lineWaitingLocked(target string) bool {
	return s.caps["echo-message"] && slices.ContainsFunc(s.echoes, func(e *echo) bool { return e.target == target })
}

// refusedLineLocked takes a refusal for the line it answers where the
// server echoes (echo-message): the oldest line still unanswered to the
// target it names, or for a refusal that names none (ngircd's 486 and
// 493) to a nick. That line gets no echo; the send it is a line of
// (nil for a TAGMSG of typing or the NickServ IDENTIFY: no one waits)
// is refused. ok is false without echo-message (refusedSendLocked).
func (s *Session) refusedLineLocked(m ircmsg.Message) (w *sendWait, ok bool) {
	if !s.caps["echo-message"] {
		return nil, false
	}
	match := func(e *echo) bool { return !isChannel(e.target) }
	if len(m.Params) >= 3 {
		t := s.fold(m.Params[1])
		match = func(e *echo) bool { return e.target == t }
	}
	i := slices.IndexFunc(s.echoes, match)
	if i < 0 {
		return nil, true
	}
	e := s.echoes[i]
	s.echoes = slices.Delete(s.echoes, i, i+1)
	close(e.got)
	return e.send, true
}

// refusedSendLocked is the send a refusal answers where the server does
// not echo: the oldest waiting whose target it names ("401 me dave :No
// such nick"); for a refusal that names none (ngircd's 486 and 493:
// "486 me :Cannot send to user..."), the oldest waiting to a nick. An
// older send's refusal came before its PONG, so the oldest is the one.
func (s *Session) refusedSendLocked(m ircmsg.Message) *sendWait {
	if len(m.Params) >= 3 {
		t := s.fold(m.Params[1])
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
// Where the server echoes, the send's echoes answer it (echoed): it
// gets no PING. confirmSent waits for the PONG; dropSendWait forgets
// the send.
func (s *Session) awaitAnswer(target string, echoes bool) *sendWait {
	w := &sendWait{target: s.fold(target), done: make(chan struct{})}
	if echoes {
		return w
	}
	w.token = "passerelle-" + s.n.newID()
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
		// The connection ended after the lines went, before their
		// PING: whether the server read them is not known.
		s.mu.Lock()
		w.dropped = true
		s.mu.Unlock()
		return s.sendError(w, target)
	}
	t := time.NewTimer(EchoWait)
	defer t.Stop()
	select {
	case <-w.done:
		s.backUnlessAway(w, target)
	case <-t.C:
	case <-ctx.Done():
	}
	return s.sendError(w, target)
}

// sendError is send w's error, once it is answered: its refusal, or the
// connection that dropped before it was; nil for neither.
func (s *Session) sendError(w *sendWait, target string) error {
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

// failSendWaitsLocked ends the sends' waits and the windows: the
// connection dropped, no answer will come.
func (s *Session) failSendWaitsLocked() {
	for _, w := range s.sendWaits {
		w.dropped = true
		close(w.done)
	}
	s.sendWaits = nil
	s.windows = nil
}
