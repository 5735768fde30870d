package bridge

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A completed login is stored, then connected: the network answers how
// the connection went with the login's state, after the plugin's
// Connect returned. The answer to the login (the chat's message, the
// login command's last stage) waits for that first word, so that a
// login whose connection fails (IRC with TLS on against a port without
// it) is not told "logged in" with its failure in a presence status
// alone: it says the login is saved, the network's reason, and what to
// do.

// loginConnectWait bounds how long the answer to a completed login
// waits, once the plugin answered its Connect, for the login's first
// state that says how the connection went. It covers a network's
// connection attempt (IRC's TLS handshake gives up after 30 s, 15 s
// of them in its Connect); past it the answer says the login is still
// connecting, and the gateway's presence tells the rest.
const loginConnectWait = 30 * time.Second

// firstState catches the first state a login says of its connection
// after it completed: connected, or why not (settledState).
type firstState struct {
	settled chan struct{} // closed once st is set, or gone
	st      loginState
	// gone: the login was logged out, or replaced by another account's,
	// before its first state (endFirstWatch).
	gone bool
	// seen is the last state not settled (CONNECTING) said since the
	// watch began: a wait that runs out tells its message. The
	// session's own state may still be that of the login's connection
	// before this one (the same account logged in again).
	seen loginState
	// retry, armed as a transient failure is caught, watches for the
	// connection the plugin's next attempt makes within the wait: the
	// user, told the failure, then hears it connected.
	retry *firstState
	// connectedOnly: a retry's watch, which CONNECTED alone ends (a
	// refusal after the failure is told as its own notice).
	connectedOnly bool
}

// settledState reports whether st says how a connection went: not
// CONNECTING (nor a state the contract does not name).
func settledState(st pb.LoginState) bool {
	switch st {
	case pb.LoginState_LOGIN_STATE_CONNECTED, pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT,
		pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, pb.LoginState_LOGIN_STATE_LOGGED_OUT,
		pb.LoginState_LOGIN_STATE_STOPPED:
		return true
	}
	return false
}

// watchFirstState has the session catch its next settled state for the
// answer to the login just completed, before its Connect. A watch
// before it (the same account logged in again meanwhile) ends as gone:
// the newer login's answer tells the state.
func (s *session) watchFirstState() *firstState {
	fs := &firstState{settled: make(chan struct{})}
	s.mu.Lock()
	s.endFirstWatchLocked()
	// A state of the connection before, still on its way, is not the
	// new one's (connmark.go).
	s.newConnectionLocked()
	s.first = fs
	s.mu.Unlock()
	return fs
}

// catchFirstLocked gives st to the watch under way, if any and st is
// settled, and reports whether it did: the answer to the login then
// tells it, the state's own chat notice is not sent. It runs as st is
// recorded, under s.mu, so that the watch takes the first settled state
// and no other, and a notice not sent is always told. A transient
// failure caught arms the watch's retry in the same step: a CONNECTED
// right after it is not missed.
func (s *session) catchFirstLocked(st loginState) bool {
	fs := s.first
	if fs == nil {
		return false
	}
	if fs.connectedOnly {
		if st.state != pb.LoginState_LOGIN_STATE_CONNECTED {
			return false
		}
	} else if !settledState(st.state) {
		fs.seen = st
		return false
	}
	s.first = nil
	fs.st = st
	if !fs.connectedOnly && st.state == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT {
		fs.retry = &firstState{settled: make(chan struct{}), connectedOnly: true}
		s.first = fs.retry
	}
	close(fs.settled)
	return true
}

// endFirstWatch ends the wait of the answer to the login, if one is
// under way, as the login goes (logged out, or replaced by another
// account's): its first state would never come, and its answer, told
// after the user's logout or next login, would say it is still
// connecting.
func (s *session) endFirstWatch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endFirstWatchLocked()
}

// endFirstWatchLocked is endFirstWatch, with s.mu held.
func (s *session) endFirstWatchLocked() {
	if fs := s.first; fs != nil {
		s.first = nil
		fs.gone = true
		close(fs.settled)
	}
}

// awaitFirstState waits, until deadline, for the state fs catches;
// false when none came in time (or ctx ended): the watch is then
// dropped, and a state coming later is told as any other. Not known,
// the state returned is the last one not settled of this connection
// (seen), never one of a connection before it.
func (s *session) awaitFirstState(ctx context.Context, fs *firstState, deadline time.Time) (loginState, bool) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-fs.settled:
		return fs.st, true
	case <-timer.C:
	case <-ctx.Done():
	}
	s.mu.Lock()
	if s.first == fs {
		s.first = nil
	}
	seen := fs.seen
	s.mu.Unlock()
	select {
	case <-fs.settled: // caught as the wait ended
		return fs.st, true
	default:
		return seen, false
	}
}

// dropRetry ends fs's retry watch, if one was armed and is still under
// way: nobody waits for it.
func (s *session) dropRetry(fs *firstState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fs.retry != nil && s.first == fs.retry {
		s.first = nil
	}
}

// adhocLoginBudget bounds how long the login command's last answer
// takes, counted from the request that submitted its last step: XMPP
// clients often give a command's request up after 30 to 60 s, and the
// plugin's Connect (up to 30 s) and the wait for the first state (up to
// loginConnectWait) could take a minute. The state known by then, the
// command's note says it; not yet, the note says the login is still
// connecting, and a chat message tells how it went once the state comes
// (or loginConnectWait ends).
const adhocLoginBudget = 20 * time.Second

// Who tells a completed login's answer (loginReport.teller).
const (
	tellChat  = iota // a chat message: a chat's login, or no command waits
	tellCmd          // the login command's last note, waiting for it
	tellLater        // a chat message, after the note said "still connecting"
)

// loginReport is the answer to a completed login, told once: as the
// login command's last note when the command waits for it and it comes
// within adhocLoginBudget, else as a chat message.
type loginReport struct {
	name, instructions string        // the login's name, the step's instructions
	ready              chan struct{} // closed once text is set

	mu     sync.Mutex
	teller int // tellChat, tellCmd, tellLater
	done   bool
	text   string
	warn   bool // the connection failed
	// st is the first state the text tells (known: it came in time);
	// gone: the login went before it (logged out, or replaced).
	st          loginState
	known, gone bool
}

// newLoginReport makes the report of the login name; cmd: a login
// command's request waits for the step that completed it, and its
// answer tells the report (takeLoginReport).
func newLoginReport(name, instructions string, cmd bool) *loginReport {
	r := &loginReport{name: name, instructions: instructions, ready: make(chan struct{})}
	if cmd {
		r.teller = tellCmd
	}
	return r
}

// takeLoginReport is the login command's last note of r once r is
// ready or deadline passed: text and its XEP-0050 note type. r then
// goes to the chat only if the note said it is still connecting.
func (t *transport) takeLoginReport(ctx context.Context, r *loginReport, deadline time.Time) (text, noteType string) {
	if r == nil {
		return "The login completed.", "info" // none made: not a completed login's
	}
	if !r.await(ctx, deadline) {
		return t.stillConnecting(r.name, r.instructions), "info"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.warn {
		return r.text, "warn"
	}
	return r.text, "info"
}

// await waits for r, as the answer that tells it (a login command's
// note, a registration's result), until deadline or ctx ends; false:
// not ready by then, and r then goes to the chat once it is (its
// answer said the login is still connecting, or nothing of it).
func (r *loginReport) await(ctx context.Context, deadline time.Time) bool {
	r.mu.Lock()
	if !r.done {
		r.teller = tellCmd // an answer that came back for a login completed meanwhile
	}
	r.mu.Unlock()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-r.ready:
	case <-timer.C:
	case <-ctx.Done():
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.done {
		r.teller = tellLater
		return false
	}
	return true
}

// release gives the report to the chat if the login command that was to
// tell it will not (its request ended); nil: none.
func (r *loginReport) release() {
	if r == nil {
		return
	}
	r.mu.Lock()
	if !r.done && r.teller == tellCmd {
		r.teller = tellChat
	}
	r.mu.Unlock()
}

// finish sets the report's answer (with the step's instructions, text;
// without them, later) and returns what the chat is to be told of it:
// nothing when the command's note says it.
func (r *loginReport) finish(st loginState, known bool, text, later string, warn bool) (chat string) {
	r.mu.Lock()
	r.text, r.warn, r.done = text, warn, true
	r.st, r.known = st, known
	teller := r.teller
	r.mu.Unlock()
	close(r.ready)
	switch teller {
	case tellCmd:
		return ""
	case tellLater: // the note gave the instructions
		return later
	}
	return text
}

// stillConnecting is the login command's note when how the connection
// of the login name went is not known within adhocLoginBudget.
func (t *transport) stillConnecting(name, instructions string) string {
	text := fmt.Sprintf("You are logged in to %s as %s. Still connecting: a chat message from %s will tell you how the connection went.", t.displayName(), name, t.domain)
	if instructions = strings.TrimSpace(instructions); instructions != "" {
		text += "\n" + instructions
	}
	return text
}

// freshLogin is a login just stored whose Connect is still to run
// (completeLogin with watch): connect runs it, messages meanwhile wait
// for it as for a relogin; fs catches its first settled state.
type freshLogin struct {
	s       *session
	fs      *firstState
	connect func(ctx context.Context) // ctx: the transport's
}

// tellLogin connects the login just completed (fresh) and waits for its
// first state, off the caller's goroutine; then tells the user, in a
// chat or in the login command's note (r). ctx is the login's; the wait
// ends with the transport too. A first state that says the connection
// failed for now (TRANSIENT_DISCONNECT) and a CONNECTED after it, the
// plugin's next attempt, within the wait: the answer says "Connected."
// if it is still to be told, else a chat message says it, once.
func (t *transport) tellLogin(ctx context.Context, r *loginReport, fresh *freshLogin) {
	wctx := t.in.ctx
	if wctx == nil {
		wctx = context.WithoutCancel(ctx) // tests of parts: no transport running
	}
	started := t.in.goLive(func() {
		s, fs := fresh.s, fresh.fs
		defer s.dropRetry(fs) // whichever way this ends: no watch left
		fresh.connect(wctx)
		deadline := time.Now().Add(loginConnectWait)
		st, known := s.awaitFirstState(wctx, fs, deadline)
		if known && fs.gone {
			// The user logged out or in again meanwhile, and heard of
			// that: the chat has nothing more to hear of this login,
			// a command still waiting is told.
			r.mu.Lock()
			r.gone = true
			r.mu.Unlock()
			r.finish(st, false, fmt.Sprintf("You logged in to %s as %s, but that login is gone since: logged out, or replaced by another.", t.displayName(), r.name), "", true)
			return
		}
		if known && fs.retry != nil {
			select {
			case <-fs.retry.settled: // connected already, before the answer
				if !fs.retry.gone {
					st = fs.retry.st
				}
			default:
			}
		}
		text, warn := t.loginAnswer(r.name, r.instructions, st, known)
		later, _ := t.loginAnswer(r.name, "", st, known)
		if !known && wctx.Err() != nil {
			text, later = t.stoppingAnswer(r.name), t.stoppingAnswer(r.name)
		}
		if chat := r.finish(st, known, text, later, warn); chat != "" {
			t.send(ctx, t.chat(s.user, chat))
		}
		if st.state != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT || fs.retry == nil {
			return
		}
		// Told the failure: a connection within the wait is told too.
		if _, ok := s.awaitFirstState(wctx, fs.retry, deadline); ok && !fs.retry.gone {
			t.send(ctx, t.chat(s.user, t.connectedAfterAll(r.name)))
		}
	})
	if !started {
		// The transport stopped: the login is stored, and connected
		// at the next start with the others. Its watch ends, and its
		// answer, still awaited, says so.
		fresh.connect(wctx)
		fresh.s.mu.Lock()
		if fresh.s.first == fresh.fs {
			fresh.s.first = nil
		}
		fresh.s.mu.Unlock()
		text := t.stoppingAnswer(r.name)
		r.finish(loginState{}, false, text, text, false)
	}
}

// stoppingAnswer is the answer to the login name when the gateway stops
// before its connection said how it went.
func (t *transport) stoppingAnswer(name string) string {
	return fmt.Sprintf("You are logged in to %s as %s. The gateway is stopping: the login is saved, and connects when the gateway starts again.", t.displayName(), name)
}

// connectedAfterAll tells the user that the login name, whose answer
// said its connection failed, connected on the plugin's next attempt.
func (t *transport) connectedAfterAll(name string) string {
	return fmt.Sprintf("Your login to %s as %s connected on a later attempt. Connected.", t.displayName(), name)
}

// loginAnswer is the answer to a completed login as name, whose first
// state is st (known: it came in time), with the instructions of the
// network's completed step; warn: the connection failed.
func (t *transport) loginAnswer(name, instructions string, st loginState, known bool) (text string, warn bool) {
	network := t.displayName()
	saved := fmt.Sprintf("You are logged in to %s as %s: the login is saved, but ", network, name)
	switch {
	case !known:
		text = fmt.Sprintf("You are logged in to %s as %s. Still connecting%s: the gateway's status (its presence in your contacts) shows when it is online.", network, name, suffix(st.msg))
	case st.state == pb.LoginState_LOGIN_STATE_CONNECTED:
		text = fmt.Sprintf("You are logged in to %s as %s. Connected.", network, name)
	case st.state == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT:
		text = saved + "connecting failed" + reason(st.msg) + ". The gateway keeps trying. If a setting of the login is wrong (a server, a port, TLS), log out (send \"logout\" here, or the logout command) and log in again with it changed."
		warn = true
	case st.state == pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS:
		text = saved + network + " refused it" + reason(st.msg) + ". Log in again with other credentials: send \"login\" here, or use the login command."
		warn = true
	case st.state == pb.LoginState_LOGIN_STATE_LOGGED_OUT:
		text = saved + network + " logged it out" + reason(st.msg) + ". Log in again: send \"login\" here, or use the login command."
		warn = true
	default: // STOPPED
		text = saved + "its connection was stopped" + reason(st.msg) + ". Send \"relogin\" here (or use the relogin command) to connect again; to change a setting, log out and log in again."
		warn = true
	}
	if instructions = strings.TrimSpace(instructions); instructions != "" {
		text += "\n" + instructions
	}
	return text, warn
}

// reason is a state's message after a colon, its own final dot dropped
// (the sentence ends with one).
func reason(msg string) string {
	msg = strings.TrimRight(strings.TrimSpace(msg), ".")
	if msg == "" {
		return ""
	}
	return ": " + msg
}
