package bridge

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"rsc.io/qr"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

var errNotLoggedIn = errors.New("you are not logged in")

// setState records the login's state and shows it as the transport JID's
// presence; when the user must act, it also says so once in a chat.
func (ss *session) setState(ctx context.Context, s *pb.LoginStateEvent) {
	ss.setStateTold(ctx, s, "", false)
}

// setStateTold is setState with told, when not empty, as the chat's
// notice of a state the user must act on; quiet sends no notice, for a
// caller that answers the user itself.
func (ss *session) setStateTold(ctx context.Context, s *pb.LoginStateEvent, told string, quiet bool) {
	t, user := ss.t, ss.user
	ss.mu.Lock()
	if ss.staleLocked(s.Connection) {
		// Of a connection before the login's latest (connmark.go): it
		// says nothing of the login now, nor answers its login.
		ss.mu.Unlock()
		t.log.Info("login state of an earlier connection ignored", "user", user, "login", ss.loginID, "state", s.State, "connection", s.Connection)
		return
	}
	prev := ss.state
	ss.state = loginState{state: s.State, msg: s.Message, since: time.Now()}
	// The answer to the login just completed tells it, with what to do
	// (login_connected.go): not said twice.
	caught := ss.catchFirstLocked(ss.state)
	ss.mu.Unlock()
	ss.noteLoginFeatures(ctx, s)
	ss.stateChanged()   // after the features: a message waiting for them goes
	ss.progress.clear() // progress.go: the state's presence shows none
	t.send(ctx, t.statePresence(user, s.State, s.Message))
	if prev.state == s.State {
		return
	}
	if s.State == pb.LoginState_LOGIN_STATE_CONNECTED {
		ss.tellAvailability(ctx) // avail.go
	}
	if s.State == pb.LoginState_LOGIN_STATE_CONNECTED && ss.roomSync.retryWanted() {
		// The chat list failed, the network still connecting: the
		// rooms now (room.go).
		t.goDetached(ctx, ss.syncRooms) // background.go: past the command, not the stop
	}
	if caught || quiet {
		return
	}
	if told != "" {
		t.send(ctx, t.chat(user, told))
		return
	}
	if text := loginStateText(t.displayName(), s.State, s.Message); text != "" {
		t.send(ctx, t.chat(user, text))
	}
}

// loginStateText is the chat notice of a login the network ended or
// refused, "" for other states. The plugin's reason joins as a sentence:
// in parentheses, a reason with its own full stop read "(REASON.).".
func loginStateText(network string, state pb.LoginState, reason string) string {
	switch state {
	case pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS:
		return sentences(reasoned(network+" refused your credentials", reason), `Log in again with the relogin or login command (or send "login" here).`)
	case pb.LoginState_LOGIN_STATE_LOGGED_OUT:
		return sentences(reasoned("You were logged out of "+network, reason), `Log in again with the login command (or send "login" here).`)
	case pb.LoginState_LOGIN_STATE_STOPPED:
		return sentences(reasoned(network+" stopped your connection", reason), `Your login is kept: the relogin command (or "relogin" here) connects again.`)
	}
	return ""
}

// connectFailedText is the chat notice of a login the gateway could not
// connect (Connect failed): the plugin's reason, then what to do. A
// reason in parentheses with its own full stop read "(... unreadable.).".
func connectFailedText(network string, err error, next string) string {
	return sentences("The gateway could not connect your "+network+" login: "+errText(err), next)
}

// reasoned joins a reason to what happened as "WHAT: REASON".
func reasoned(what, reason string) string {
	if reason = strings.TrimSpace(reason); reason == "" {
		return what
	}
	return what + ": " + reason
}

func suffix(msg string) string {
	if msg == "" {
		return ""
	}
	return " (" + msg + ")"
}

// statePresence renders a login state as the gateway's presence.
func (t *transport) statePresence(user string, s pb.LoginState, msg string) []byte {
	var w wire.Writer
	w.Start("presence", "").Attr("from", t.domain).Attr("to", user)
	status := ""
	switch s {
	case pb.LoginState_LOGIN_STATE_CONNECTED:
	case pb.LoginState_LOGIN_STATE_CONNECTING:
		w.Leaf("show", "", "away")
		status = "Connecting"
	case pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT:
		w.Leaf("show", "", "xa")
		status = "Disconnected, reconnecting"
	case pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS:
		w.Leaf("show", "", "xa")
		status = "Bad credentials: log in again"
	case pb.LoginState_LOGIN_STATE_LOGGED_OUT:
		w.Leaf("show", "", "xa")
		status = "Logged out: log in again"
	case pb.LoginState_LOGIN_STATE_STOPPED:
		w.Leaf("show", "", "xa")
		status = "Stopped"
	}
	if msg != "" {
		status = strings.TrimPrefix(status+": "+msg, ": ")
	}
	if status != "" {
		w.Leaf("status", "", status)
	}
	return w.Bytes()
}

// gatewayPresence is the gateway's presence to the session's user as it
// stands: the login's state, with the tasks under way (progress.go). A
// probe's answer and the presence after the link is up again say it, not
// a plain available: that told a user the network logged out that all
// was well.
func (s *session) gatewayPresence() []byte { return s.gatewayPresenceTo(s.user) }

// gatewayPresenceTo is gatewayPresence addressed to to: the user's bare
// JID, or the resource whose probe it answers.
func (s *session) gatewayPresenceTo(to string) []byte {
	if told, refused := s.t.down.shown(); told {
		state := pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT
		if refused {
			state = pb.LoginState_LOGIN_STATE_STOPPED // no reconnecting by itself
		}
		return s.t.statePresence(to, state, s.t.pluginDownText(refused))
	}
	b := &s.progress
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.tasks) > 0 {
		return s.progressPresenceLocked(to)
	}
	st := s.loginState()
	return s.t.statePresence(to, st.state, st.msg)
}

// statusText describes a user's account for the status command.
func (t *transport) statusText(user string) string {
	ss := t.session(user)
	if ss == nil {
		if t.procOf(user) != nil {
			return "A login is in progress."
		}
		return "You are not logged in to " + t.displayName() + "."
	}
	l, s := ss.Login(), ss.loginState()
	state := "unknown"
	if s.state != pb.LoginState_LOGIN_STATE_UNKNOWN {
		state = strings.ToLower(strings.TrimPrefix(s.state.String(), "LOGIN_STATE_"))
		state = strings.ReplaceAll(state, "_", " ")
	}
	text := fmt.Sprintf("Logged in to %s as %s (login ID %s).\nState: %s", t.displayName(), l.DisplayName, l.LoginID, state)
	if !s.since.IsZero() {
		text += " since " + s.since.UTC().Format(time.RFC3339)
	}
	if s.msg != "" {
		text += " (" + s.msg + ")"
	}
	return text
}

// removeLogin logs the user out of the network and deletes the login and
// all its data. The network logout is best effort: the user's wish to
// leave does not depend on the plugin running.
func (t *transport) removeLogin(ctx context.Context, user string) error {
	// Begun, it is finished at a stop too (logout_stop.go).
	ctx, done, err := t.logouts.begin(ctx, user)
	if err != nil {
		return err
	}
	defer done()
	s := t.session(user)
	if s == nil {
		return errNotLoggedIn
	}
	client, err := t.client(ctx)
	if err != nil {
		t.log.Warn("plugin down; login deleted, its network logout owed until the plugin is back", "user", user)
		client = nil
	}
	if err := t.dropAccount(ctx, client, s); err != nil {
		return err
	}
	// Written before the logout counts as done: a stop closes the link
	// then (logout_stop.go).
	t.sendWritten(ctx, t.presence(user, "unavailable"))
	return nil
}

// dropAccount logs the session's login out of the network (best effort;
// client nil: the plugin is down), deletes it and all its data, its
// folder included, and takes its contacts out of the user's roster: on
// logout, and when another account replaces the login.
func (t *transport) dropAccount(ctx context.Context, client pb.TransportClient, s *session) error {
	user, l := s.user, s.Login()
	// Its first Connect, still under way, ends before the network
	// logout, and nothing more is told of it (login_connecting.go).
	s.stopConnect(ctx)
	owe := client == nil
	if client != nil {
		t.log.Debug("network logout under way", "user", user, "login", l.LoginID)
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		if _, err := client.Logout(cctx, logoutRequest(l, t.logoutDir(l))); err != nil {
			// A call cut by the gateway's stop (cancelled) is one the
			// plugin may not have done: owed as well.
			owe = pluginAway(err)
			t.log.Warn("network logout failed; deleting the login anyway", "user", user, "err", err, "retried", owe)
		}
		cancel()
	}
	// Deleting the login deletes its contacts: read them first, to
	// take them out of the user's roster afterwards.
	contacts := s.contactIDs()
	del := t.db.DeleteLogin
	if owe { // logout.go: the plugin hears of it when it is back
		del = t.db.DeleteLoginOwingLogout
	}
	if err := del(ctx, t.name, user); err != nil && !errors.Is(err, store.ErrNotFound) {
		t.log.Error("deleting the login failed", "user", user, "err", err)
		return gatewayFault("the gateway could not delete the login", err)
	}
	t.dropLogin(user)
	s.closeRooms(ctx) // room.go
	if !owe {
		// Logged out, the plugin is done with the folder.
		t.removeLoginDir(l.DataDir)
	}
	s.forgetContacts(ctx, contacts)
	t.log.Info("user logged out", "user", user, "login", l.LoginID)
	return nil
}

// logout is the logout command, ad-hoc or in chat: removeLogin, then
// what to tell the user, and whether it went (false: text says why not).
func (t *transport) logout(ctx context.Context, user string) (text string, ok bool) {
	err := t.removeLogin(ctx, user)
	switch {
	case errors.Is(err, errNotLoggedIn):
		return "You are not logged in to " + t.displayName() + ".", false
	case err != nil:
		return sentence(errText(err)), false
	}
	return "You are logged out of " + t.displayName() + ".", true
}

// relogin disconnects a login and connects it again.
func (t *transport) relogin(ctx context.Context, user string) error {
	s := t.session(user)
	if s == nil {
		return errNotLoggedIn
	}
	if s.stillConnecting() {
		// A second Connect beside it would race it at the plugin.
		return errStillConnecting
	}
	// The login's messages meanwhile wait for it (relogin_wait.go).
	defer s.relogins.beginRelogin()()
	l := s.Login()
	client, err := t.client(ctx)
	if err != nil {
		return err
	}
	dir, err := t.loginDir(ctx, l)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if _, err := client.Disconnect(cctx, &pb.LoginRef{LoginId: l.LoginID}); err != nil {
		t.log.Warn("disconnect before relogin failed", "user", user, "err", err)
	}
	if _, err := client.Connect(cctx, &pb.ConnectRequest{LoginId: l.LoginID, UserJid: l.UserJID, SavedState: l.SavedState, LoginDir: dir,
		Connection: s.newConnection()}); err != nil {
		// Recorded as a start's failed Connect is (connectFailed): the
		// states of the connection before are stale now (connmark.go),
		// so nothing else would say the login is not connected. The
		// command's answer tells the user, once (reloginAnswer).
		if ctx.Err() == nil {
			t.connectFailedQuiet(ctx, l, err)
		}
		_, next := t.connectFailure(err)
		return &connectError{err: err, next: next}
	}
	t.goDetached(ctx, s.syncContacts) // background.go: past the command, not the stop
	return nil
}

// connectError is a relogin's failed Connect, with what the user does
// next.
type connectError struct {
	err  error
	next string
}

func (e *connectError) Error() string { return e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// reloginAnswer is the relogin command, ad-hoc or in chat: relogin, then
// what to tell the user, and whether it went (false: text says why not,
// and for a failed Connect what to do, the one message of it).
func (t *transport) reloginAnswer(ctx context.Context, user string) (text string, ok bool) {
	err := t.relogin(ctx, user)
	var ce *connectError
	switch {
	case errors.As(err, &ce):
		return reloginFailed(ce), false
	case err != nil:
		return "Relogin failed: " + errText(err), false
	}
	return "Reconnecting.", true
}

// reloginFailed is the answer to a relogin whose Connect failed: the
// plugin's reason, then what to do.
func reloginFailed(ce *connectError) string {
	return sentences("Relogin failed: "+errText(ce.err), ce.next)
}

// sendDisplay shows a display step in a chat: the QR code as an image
// (XEP-0231 data, referenced from XHTML-IM) with its payload as text, or
// the pairing code.
func (t *transport) sendDisplay(ctx context.Context, user string, step *pb.LoginStep) {
	d := step.GetDisplay()
	var w wire.Writer
	w.Start("message", "").Attr("from", t.domain).Attr("to", user).Attr("type", "chat").Attr("id", t.newID())
	text := step.Instructions
	switch d.Type {
	case pb.DisplayType_DISPLAY_TYPE_QR:
		if text == "" {
			text = "Scan this QR code with the " + t.displayName() + " app."
		}
		png, err := qrPNG(d.Data)
		// An image link where the server takes uploads (XEP-0363, or the
		// gateway's own endpoint); inline data (XEP-0231) besides, for
		// clients that show it.
		url := ""
		if err == nil {
			uctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			url, _ = t.publish(uctx, &pb.Attachment{Name: "login-qr.png", MimeType: "image/png", Size: int64(len(png)),
				Source: &pb.Attachment_Data{Data: png}})
			cancel()
		}
		body := text + "\n" + d.Data
		if url != "" {
			body += "\n" + url
		}
		w.Leaf("body", "", body)
		if url != "" {
			w.Start("x", nsOOB).Leaf("url", "", url).Leaf("desc", "", text).End()
		}
		if err == nil {
			cid := bobCID(png)
			w.Start("html", "http://jabber.org/protocol/xhtml-im").Start("body", "http://www.w3.org/1999/xhtml").
				Leaf("p", "", text).Start("img", "").Attr("src", "cid:"+cid).Attr("alt", d.Data).End().End().End()
			w.Start("data", "urn:xmpp:bob").Attr("cid", cid).Attr("type", "image/png").Attr("max-age", "0").
				Text(base64.StdEncoding.EncodeToString(png)).End()
		}
	case pb.DisplayType_DISPLAY_TYPE_CODE:
		if text == "" {
			text = "Enter this code in the " + t.displayName() + " app:"
		}
		w.Leaf("body", "", text+"\n"+d.Data)
	default:
		if text == "" {
			text = "Confirm the login in the " + t.displayName() + " app."
		}
		w.Leaf("body", "", text)
	}
	t.send(ctx, w.Bytes())
}

// qrPNG renders a QR payload as a PNG image.
func qrPNG(payload string) ([]byte, error) {
	c, err := qr.Encode(payload, qr.M)
	if err != nil {
		return nil, fmt.Errorf("render QR code: %w", err)
	}
	c.Scale = 6
	return c.PNG(), nil
}

// bobCID is the XEP-0231 content ID of some data.
func bobCID(data []byte) string {
	sum := sha1.Sum(data)
	return "sha1+" + hex.EncodeToString(sum[:]) + "@bob.xmpp.org"
}
