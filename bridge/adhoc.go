package bridge

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// XEP-0050 ad-hoc commands on the transport JID.

const (
	nsCommands = "http://jabber.org/protocol/commands"
	nsMedia    = "urn:xmpp:media-element"
	nsBoB      = "urn:xmpp:bob"
)

// displayWait is how long one "next" on a display stage waits for the
// network before showing the stage again.
const displayWait = 60 * time.Second

type command struct {
	node, name string
	admin      bool
	// login: the command acts on the user's login, and is not listed to
	// a user without one (it could only fail).
	login bool
	// needs, when set, is the network feature the command needs: without
	// it, the command is not listed.
	needs func(*pb.Features) bool
}

var commands = []command{
	{node: "login", name: "Log in"},
	{node: "logout", login: true, name: "Log out"},
	{node: "relogin", login: true, name: "Reconnect"},
	{node: "status", name: "Status"},
	{node: "sync-contacts", login: true, name: "Sync contacts"}, // roster_sync.go
	{node: "contacts", login: true, name: "List contacts"},      // lists.go
	{node: "groups", login: true, name: "List groups"},          // lists.go
	{node: "unregister", name: "Unregister"},
	{node: "create-group", login: true, name: "Create a group", needs: (*pb.Features).GetCreateChat},        // room_create.go
	{node: "find-group", login: true, name: "Find a group", needs: (*pb.Features).GetChatSearch},            // room_find.go
	{node: "leave-group", login: true, name: "Leave a group"},                                               // room_adhoc.go
	{node: "room-retention", login: true, name: "Group archive retention"},                                  // room_retention.go
	{node: "profile-picture", login: true, name: "Profile picture", needs: (*pb.Features).GetProfileAvatar}, // profile_avatar.go
	{node: "admin-users", name: "List users (admin)", admin: true},
	{node: "admin-stats", name: "Statistics (admin)", admin: true},
	{node: "admin-disconnect", name: "Disconnect a user (admin)", admin: true},
	{node: "admin-remove", name: "Remove a user (admin)", admin: true},
}

// stageAction is the action besides execute and cancel that every stage
// of the command at node offers in its <actions/>: next for the login's
// stages, which go on as the network asks, complete for the others'
// single form (adhoc.go, profile_avatar.go, room_*.go).
func stageAction(node string) string {
	if node == "login" {
		return "next"
	}
	return "complete"
}

// adhocSession is a multi-stage command between two requests.
type adhocSession struct {
	user, node string
	stage      string // "flow", "login", "user"
	proc       *loginProc
	touched    time.Time
	// stepping is set while a login step runs beside its chat's worker.
	stepping atomic.Bool
}

type adhocSessions struct {
	mu sync.Mutex
	m  map[string]*adhocSession
	// expired remembers, for a while, the sessions that ran out (id ->
	// their user and when), so that a late answer to one is told
	// session-expired rather than bad-sessionid (XEP-0050 §4.6).
	expired map[string]expiredSession
}

// expiredSession is a session that ran out: whose it was, when, and
// whether newer sessions of the user's pushed it out (maxUserSessions)
// rather than it being left idle.
type expiredSession struct {
	user    string
	at      time.Time
	crowded bool
}

// Expired sessions are remembered expiredKept, at most maxExpired of
// them: past that, an answer to one is as to an unknown session.
const (
	expiredKept = 24 * time.Hour
	maxExpired  = 1024
)

// maxUserSessions bounds a user's open command sessions: a client that
// executes commands without ever finishing them (each execute opens one,
// kept loginIdle) made the map, and the scan of it at each new session,
// grow without end. Past it the user's least recently used session (not
// a login's, whose process it holds) ends, remembered as expired.
const maxUserSessions = 16

// get returns the user's session id; nil when there is none.
func (a *adhocSessions) get(id, user string) *adhocSession {
	s, _ := a.find(id, user)
	return s
}

// find is get, with gone saying why when the user had a session of that
// id that ran out (left idle loginIdle, or pushed out by newer ones).
func (a *adhocSessions) find(id, user string) (s *adhocSession, gone string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s = a.m[id]
	if s != nil && time.Since(s.touched) > loginIdle {
		a.expireLocked(id, s, false)
		s = nil
	}
	if s == nil {
		e, ok := a.expired[id]
		switch {
		case !ok || e.user != user:
			return nil, ""
		case e.crowded:
			return nil, fmt.Sprintf("this command session ended: you opened %d newer ones without finishing them; start the command again", maxUserSessions)
		}
		return nil, "this command session expired (left open over " + loginIdle.String() + "); start the command again"
	}
	if s.user != user {
		return nil, ""
	}
	s.touched = time.Now()
	return s, ""
}

// expireLocked ends session id, remembered as expired; crowded: pushed
// out by newer sessions.
func (a *adhocSessions) expireLocked(id string, s *adhocSession, crowded bool) {
	delete(a.m, id)
	if a.expired == nil {
		a.expired = map[string]expiredSession{}
	}
	now := time.Now()
	for k, e := range a.expired {
		if now.Sub(e.at) > expiredKept || len(a.expired) >= maxExpired {
			delete(a.expired, k)
		}
	}
	a.expired[id] = expiredSession{user: s.user, at: now, crowded: crowded}
}

func (a *adhocSessions) put(id string, s *adhocSession) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = map[string]*adhocSession{}
	}
	open, oldest := 0, ""
	for k, old := range a.m {
		switch {
		case time.Since(old.touched) > loginIdle:
			a.expireLocked(k, old, false)
		case old.user == s.user:
			open++
			if old.proc == nil && (oldest == "" || old.touched.Before(a.m[oldest].touched)) {
				oldest = k
			}
		}
	}
	if open >= maxUserSessions && oldest != "" {
		a.expireLocked(oldest, a.m[oldest], true)
	}
	s.touched = time.Now()
	a.m[id] = s
}

func (a *adhocSessions) drop(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.m, id)
}

// commandItems lists the commands this user may run (disco#items).
func (t *transport) commandItems(st *wire.Stanza, user string) []byte {
	r := wire.Result(st)
	r.Start("query", wire.NSDiscoItems).Attr("node", nsCommands)
	for _, c := range t.userCommands(user) {
		r.Start("item", "").Attr("jid", t.domain).Attr("node", c.node).Attr("name", c.name).End()
	}
	return r.Bytes()
}

// userCommands are the commands user may see: an admin's to admins,
// those a login's network does to users with one (a login may do less
// than its transport).
func (t *transport) userCommands(user string) []command {
	feats := t.userFeatures(user)
	_, loggedIn := t.loginOf(user)
	var out []command
	for _, c := range commands {
		if c.admin && !t.access.IsAdmin(user) || c.needs != nil && !c.needs(feats) || c.login && !loggedIn {
			continue
		}
		if c.node == "unregister" && !loggedIn {
			// After a logout it is how the gateway leaves the roster;
			// to a user it has nothing of, it can only fail. (Run
			// anyway, it finds one who logged out before the store
			// kept that: registeredWithout.)
			if !t.unregisterListed(user) {
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// unregisterListed reports whether a user without a login is offered
// unregister: one who logged out, whom the gateway's roster entry and
// subscriptions still follow.
func (t *transport) unregisterListed(user string) bool {
	gone, err := t.db.LoggedOut(t.name, user)
	return err == nil && gone
}

// commandInfo answers disco#info on the command list's node (XEP-0050
// §2.2: identity automation/command-list) and on a command's node
// (§2.4: identity automation/command-node, the commands and data forms
// features), for the commands this user may see; ok is false for any
// other node.
func (t *transport) commandInfo(st *wire.Stanza, user, node string) (_ []byte, ok bool) {
	if node == nsCommands {
		r := wire.Result(st)
		r.Start("query", wire.NSDiscoInfo).Attr("node", node)
		r.Start("identity", "").Attr("category", "automation").Attr("type", "command-list").Attr("name", "Commands").End()
		r.Start("feature", "").Attr("var", wire.NSDiscoItems).End()
		return r.Bytes(), true
	}
	for _, c := range t.userCommands(user) {
		if c.node != node {
			continue
		}
		r := wire.Result(st)
		r.Start("query", wire.NSDiscoInfo).Attr("node", node)
		r.Start("identity", "").Attr("category", "automation").Attr("type", "command-node").Attr("name", c.name).End()
		r.Start("feature", "").Attr("var", nsCommands).End()
		r.Start("feature", "").Attr("var", wire.NSData).End()
		return r.Bytes(), true
	}
	return nil, false
}

// cmdReply starts a command response; the caller adds notes and forms.
func cmdReply(st *wire.Stanza, node, sid, status string) *wire.Writer {
	r := wire.Result(st)
	r.Start("command", nsCommands).Attr("node", node).Attr("sessionid", sid).Attr("status", status)
	return r
}

func note(w *wire.Writer, typ, text string) {
	w.Start("note", "").Attr("type", typ).Text(text).End()
}

// done ends a command with a note. A command that ends at its first
// stage has a session too (XEP-0050 §4.1: the responder initialises it).
func (t *transport) done(ctx context.Context, st *wire.Stanza, node, sid, typ, text string) {
	if sid == "" {
		sid = t.newID()
	}
	r := cmdReply(st, node, sid, "completed")
	note(r, typ, text)
	t.send(ctx, r.Bytes())
}

// commandError answers a command request with an error and XEP-0050's
// specific condition (§4.4: malformed-action, bad-action...).
func commandError(st *wire.Stanza, specific, text string) []byte {
	return commandErrorAs(st, wire.BadRequest, "modify", specific, text)
}

// commandErrorAs is commandError with the stanza error condition cond of
// type typ that XEP-0050 §4.6 pairs with specific.
func commandErrorAs(st *wire.Stanza, cond wire.Condition, typ, specific, text string) []byte {
	var w wire.Writer
	w.Start("iq", "").Attr("from", st.To()).Attr("to", st.From()).Attr("id", st.ID()).Attr("type", "error")
	w.Start("error", "").Attr("type", typ)
	w.Leaf(string(cond), wire.NSStanzas, "")
	w.Start("text", wire.NSStanzas).Attr("xml:lang", "en").Text(text).End()
	w.Leaf(specific, nsCommands, "")
	return w.Bytes()
}

// handleCommand runs one XEP-0050 request.
func (t *transport) handleCommand(ctx context.Context, st *wire.Stanza, user string, cmd *wire.Element) {
	node, sid := cmd.Attr("node"), cmd.Attr("sessionid")
	action := cmd.Attr("action")
	switch action {
	case "", "execute", "next", "complete", "cancel":
	case "prev":
		// No stage of these commands offers <prev/>; run as execute, it
		// would submit the stage the user meant to go back from.
		t.send(ctx, commandError(st, "bad-action", "this command has no previous stage"))
		return
	default:
		t.send(ctx, commandError(st, "malformed-action", "no such action: "+action))
		return
	}
	if action == "" {
		action = "execute"
	}
	var spec *command
	for i := range commands {
		if commands[i].node == node {
			spec = &commands[i]
		}
	}
	if spec == nil {
		t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "no such command"))
		return
	}
	if spec.admin && !t.access.IsAdmin(user) {
		t.send(ctx, wire.ErrorReply(st, wire.Forbidden, "this command is for the gateway's administrators"))
		return
	}
	var sess *adhocSession
	if sid != "" {
		var gone string
		if sess, gone = t.adhoc.find(sid, user); sess != nil && sess.node != node {
			// A session of another command (XEP-0050 §4.6): not this
			// command's to go on with or cancel; it stays open. Before, a
			// cancel of it was answered canceled and left it open.
			t.send(ctx, commandError(st, "bad-sessionid", "session "+sid+" is of the "+sess.node+" command, not of "+node))
			return
		}
		if sess == nil {
			if action == "cancel" {
				// Always allowed (XEP-0050 §3.4): a session that ended
				// or expired (a form left open) has nothing to cancel.
				t.send(ctx, cmdReply(st, node, sid, "canceled").Bytes())
				return
			}
			if gone != "" {
				// XEP-0050 §4.6: a session that existed but ran out
				// (a form left open past loginIdle, or pushed out by
				// newer ones) is told so.
				t.send(ctx, commandErrorAs(st, wire.NotAllowed, "cancel", "session-expired", gone))
				return
			}
			t.send(ctx, commandError(st, "bad-sessionid", "unknown command session; start the command again"))
			return
		}
	}
	if sess == nil && (action == "next" || action == "complete") {
		// A command begins with execute (XEP-0050 §3.4): with no stage
		// shown there is none to go on from. Run as execute, a
		// sessionless complete of logout or unregister acted at once,
		// and one of a form's command showed the form, its payload
		// ignored.
		t.send(ctx, commandError(st, "bad-action", "a command begins with execute; "+action+" goes on from a stage, with its sessionid"))
		return
	}
	if sess != nil && (action == "next" || action == "complete") && action != stageAction(node) {
		// Run as execute, it submitted the stage with the action the
		// client was not offered (XEP-0050 §4.4); the session stays, so
		// the stage can be submitted as offered.
		t.send(ctx, commandError(st, "bad-action", "this stage offers "+stageAction(node)+", not "+action))
		return
	}
	if x := cmd.Child(wire.NSData, "x"); x != nil && sess != nil && action != "cancel" {
		// A stage's form is answered with a submit form (XEP-0050
		// §3.4, XEP-0004 §3.1); one of type cancel gives the command
		// up. Taken as a submission, a result or form echoed back
		// acted on what the user never submitted. The session stays,
		// for the form to be submitted.
		cancelled, bad := submitted(x) // dataform.go
		if bad != "" {
			t.send(ctx, commandError(st, "bad-payload", bad))
			return
		}
		if cancelled {
			action = "cancel"
		}
	}
	if action == "cancel" {
		if sid == "" {
			sid = t.newID()
		}
		if sess != nil {
			if sess.proc != nil {
				t.cancelProc(ctx, sess.proc)
			}
			t.adhoc.drop(sid)
		}
		t.send(ctx, cmdReply(st, node, sid, "canceled").Bytes())
		return
	}
	switch node {
	case "login":
		t.cmdLogin(ctx, st, user, sid, sess, cmd)
	case "unregister":
		// Listed without a login too: after a logout it is how a user
		// has the gateway leave their roster.
		err := t.unregisterUser(ctx, user, func(had bool) {
			t.done(ctx, st, node, sid, "info", t.unregisteredText(had))
		})
		if errors.Is(err, errNotRegistered) {
			t.done(ctx, st, node, sid, "error", t.notRegisteredText())
		} else if err != nil {
			t.done(ctx, st, node, sid, "error", sentence(errText(err)))
		}
	case "logout":
		text, ok := t.logout(ctx, user)
		if !ok {
			t.done(ctx, st, node, sid, "error", text)
			return
		}
		t.done(ctx, st, node, sid, "info", text)
	case "relogin":
		text, ok := t.reloginAnswer(ctx, user)
		if !ok {
			t.done(ctx, st, node, sid, "error", text)
			return
		}
		t.done(ctx, st, node, sid, "info", text)
	case "status":
		t.done(ctx, st, node, sid, "info", t.statusText(user))
	case "sync-contacts":
		text, err := t.resyncRoster(ctx, user)
		if err != nil {
			t.done(ctx, st, node, sid, "error", sentence(errText(err)))
			return
		}
		t.done(ctx, st, node, sid, "info", text)
	case "contacts", "groups":
		t.cmdList(ctx, st, user, node, sid)
	case "create-group":
		t.cmdCreateGroup(ctx, st, user, sid, sess, cmd)
	case "find-group":
		t.cmdFindGroup(ctx, st, user, sid, sess, cmd)
	case "leave-group":
		t.cmdLeaveGroup(ctx, st, user, sid, sess, cmd)
	case "room-retention":
		t.cmdRoomRetention(ctx, st, user, sid, sess, cmd)
	case "profile-picture":
		t.cmdProfilePicture(ctx, st, user, sid, sess, cmd)
	case "admin-users":
		t.done(ctx, st, node, sid, "info", t.adminUsers())
	case "admin-stats":
		t.done(ctx, st, node, sid, "info", t.adminStats())
	case "admin-disconnect", "admin-remove":
		t.cmdAdminUser(ctx, st, user, node, sid, sess, cmd)
	}
}

// cmdLogin drives a login through command stages: choose a flow, then one
// stage per plugin step.
func (t *transport) cmdLogin(ctx context.Context, st *wire.Stanza, user, sid string, sess *adhocSession, cmd *wire.Element) {
	asked := time.Now() // the last answer's budget counts from it (adhocLoginBudget)
	if sess == nil {
		if l, ok := t.liveLoginOf(user); ok {
			t.done(ctx, st, "login", sid, "info", fmt.Sprintf("You are already logged in as %s. Log out first to use another account.", l.DisplayName))
			return
		}
		if p := t.procOf(user); p != nil {
			if p.via != "adhoc" || p.startedBy() == st.From() {
				t.send(ctx, wire.ErrorReply(st, wire.Conflict, errLoginInProgress.Error()+` (or send "cancel" to `+t.domain+` in a chat)`))
				return
			}
			// Begun by another client of the user, which may have gone
			// with its session ID and cannot finish or cancel it: the
			// client at hand takes over.
			t.log.Info("a login in progress from another client is cancelled: the user began another", "user", user)
			t.cancelProc(ctx, p)
		}
		client, err := t.client(ctx)
		var flows *pb.LoginFlowsResponse
		if err == nil {
			cctx, cancel := context.WithTimeout(ctx, callTimeout)
			flows, err = client.LoginFlows(cctx, &pb.LoginFlowsRequest{})
			cancel()
		}
		if err != nil {
			cond, text := reply(err)
			t.send(ctx, wire.ErrorReply(st, cond, text))
			return
		}
		if len(flows.Flows) == 0 {
			// A plugin the conformance kit would refuse: the first of
			// no flows was a panic, the gateway gone for every user.
			t.send(ctx, wire.ErrorReply(st, wire.FeatureNotImpl, t.displayName()+" offers no way to log in"))
			return
		}
		sid = t.newID()
		sess = &adhocSession{user: user, node: "login"}
		t.adhoc.put(sid, sess)
		if len(flows.Flows) > 1 {
			sess.stage = "flow"
			r := cmdReply(st, "login", sid, "executing")
			r.Start("actions", "").Attr("execute", "next").Leaf("next", "", "").End()
			r.Start("x", wire.NSData).Attr("type", "form").Leaf("title", "", "Log in to "+t.displayName()).
				Leaf("instructions", "", "Choose how to log in.")
			r.Start("field", "").Attr("var", "flow").Attr("type", "list-single").Attr("label", "Method").Leaf("required", "", "")
			r.Leaf("value", "", flows.Flows[0].Id)
			for _, f := range flows.Flows {
				r.Start("option", "").Attr("label", f.Name).Leaf("value", "", f.Id).End()
			}
			t.send(ctx, r.Bytes())
			return
		}
		t.beginCmdLogin(ctx, st, user, sid, sess, flows.Flows[0].GetId(), asked)
		return
	}
	switch sess.stage {
	case "flow":
		t.beginCmdLogin(ctx, st, user, sid, sess, formValues(cmd)["flow"], asked)
	case "login":
		// Submitting a code and waiting on a QR code take seconds to a
		// minute: beside the chat's worker, as this user's next commands
		// (a cancel) must go on. One step of a session at a time: a
		// submission while one runs is refused at once (queued, a client
		// could pile up goroutines without bound, each of a QR stage
		// waiting up to displayWait in turn). (The inbound chats' wait
		// group: the transport waits for it at stop.)
		if !sess.stepping.CompareAndSwap(false, true) {
			t.send(ctx, wire.ErrorReply(st, wire.ResourceConstraint, "the login's last step is still under way: wait for its answer"))
			return
		}
		t.goBg(func() { t.loginStage(ctx, st, sid, sess, formValues(cmd), asked) })
	}
}

// loginStage moves a command's login on: submits the form, or waits for
// the display step (a QR code) to change, then shows the new stage. asked
// is when the request came.
func (t *transport) loginStage(ctx context.Context, st *wire.Stanza, sid string, sess *adhocSession, fields map[string]string, asked time.Time) {
	// The step is done before its answer goes: a client that submits
	// the next stage on reading it must not find this one still running.
	defer sess.stepping.Store(false)
	p := sess.proc
	step, changed, err := p.current()
	if err != nil {
		t.adhoc.drop(sid)
		sess.stepping.Store(false)
		t.done(ctx, st, "login", sid, "error", "The login failed: "+errText(err))
		return
	}
	// This request answers the step coming next: a completed login's
	// answer is its note (login_connected.go).
	p.setAnswering(true)
	if step.GetForm() != nil {
		t.submit(ctx, p, fields)
	} else if step.GetDisplay() != nil {
		select {
		case <-changed:
		case <-time.After(displayWait):
		case <-ctx.Done():
			p.setAnswering(false)
			p.loginReport().release() // no note will say it: the chat does
			return
		}
	}
	p.setAnswering(false)
	sess.stepping.Store(false)
	t.renderLogin(ctx, st, sid, sess, asked)
}

func (t *transport) beginCmdLogin(ctx context.Context, st *wire.Stanza, user, sid string, sess *adhocSession, flow string, asked time.Time) {
	p, err := t.startLogin(ctx, user, flow, "adhoc") // answering its first step
	if err != nil {
		t.adhoc.drop(sid)
		cond, text := reply(err)
		t.send(ctx, wire.ErrorReply(st, cond, text))
		return
	}
	p.mu.Lock()
	p.from = st.From()
	p.answering = false
	p.mu.Unlock()
	sess.stage, sess.proc = "login", p
	t.renderLogin(ctx, st, sid, sess, asked)
}

// renderLogin shows the login's current step as a command stage, in
// answer to the request that came at asked.
func (t *transport) renderLogin(ctx context.Context, st *wire.Stanza, sid string, sess *adhocSession, asked time.Time) {
	step, _, err := sess.proc.current()
	switch {
	case err != nil:
		t.adhoc.drop(sid)
		t.done(ctx, st, "login", sid, "error", "The login failed: "+errText(err))
	case step.GetComplete() != nil:
		t.adhoc.drop(sid)
		// completeLogin ran in the login driver; its error, if any, is
		// err. The answer waits for how the login's connection went, at
		// most adhocLoginBudget after the request (login_connected.go),
		// beside the chat's worker.
		report := sess.proc.loginReport()
		t.goBg(func() {
			text, typ := t.takeLoginReport(ctx, report, asked.Add(adhocLoginBudget))
			t.done(ctx, st, "login", sid, typ, text)
		})
	case step.GetForm() != nil:
		r := cmdReply(st, "login", sid, "executing")
		r.Start("actions", "").Attr("execute", "next").Leaf("next", "", "").End()
		if step.Error != "" {
			note(r, "error", step.Error)
		}
		instructions := step.Instructions
		if instructions == "" {
			instructions = "Log in to " + t.displayName() + "."
		}
		writeForm(r, "Log in to "+t.displayName(), instructions, "", step.GetForm().Fields)
		t.send(ctx, r.Bytes())
	case step.GetForm() == nil && step.GetDisplay() == nil:
		// setStep takes a step with nothing set for an error; the
		// user's request is answered all the same.
		t.adhoc.drop(sid)
		t.log.Error("a login step with nothing to show", "user", sess.user)
		t.done(ctx, st, "login", sid, "error", "The login failed: "+errEmptyStep.Error())
	case step.GetDisplay() != nil:
		d := step.GetDisplay()
		r := cmdReply(st, "login", sid, "executing")
		r.Start("actions", "").Attr("execute", "next").Leaf("next", "", "").End()
		note(r, "info", "When you are done in the app, press Next. The code was also sent to you in a chat.")
		r.Start("x", wire.NSData).Attr("type", "form").Leaf("title", "", "Log in to "+t.displayName())
		instructions := step.Instructions
		switch {
		case instructions != "":
		case d.Type == pb.DisplayType_DISPLAY_TYPE_QR:
			instructions = "Scan this QR code with the " + t.displayName() + " app."
		case d.Type == pb.DisplayType_DISPLAY_TYPE_CODE:
			instructions = "Enter this code in the " + t.displayName() + " app."
		default:
			instructions = "Confirm the login in the " + t.displayName() + " app."
		}
		r.Leaf("instructions", "", instructions)
		if d.Data != "" {
			label := "Code"
			if d.Type == pb.DisplayType_DISPLAY_TYPE_QR {
				label = "QR code"
			}
			r.Start("field", "").Attr("var", "code").Attr("type", "text-single").Attr("label", label)
			if d.Type == pb.DisplayType_DISPLAY_TYPE_QR {
				if png, err := qrPNG(d.Data); err == nil {
					// XEP-0221 media, with the image itself as XEP-0231 data.
					cid := bobCID(png)
					r.Start("media", nsMedia).Attr("height", "256").Attr("width", "256")
					r.Start("uri", "").Attr("type", "image/png").Text("cid:" + cid).End()
					r.Start("uri", "").Attr("type", "image/png").Text("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)).End()
					r.End()
					r.Start("data", nsBoB).Attr("cid", cid).Attr("type", "image/png").Attr("max-age", "0").
						Text(base64.StdEncoding.EncodeToString(png)).End()
				}
			}
			r.Leaf("value", "", d.Data).End()
		}
		t.send(ctx, r.Bytes())
	}
}

// cmdAdminUser asks for a user's JID, then disconnects or removes them.
func (t *transport) cmdAdminUser(ctx context.Context, st *wire.Stanza, admin, node, sid string, sess *adhocSession, cmd *wire.Element) {
	if sess == nil {
		sid = t.newID()
		t.adhoc.put(sid, &adhocSession{user: admin, node: node, stage: "user"})
		r := cmdReply(st, node, sid, "executing")
		r.Start("actions", "").Attr("execute", "complete").Leaf("complete", "", "").End()
		r.Start("x", wire.NSData).Attr("type", "form").Leaf("title", "", commandName(node))
		r.Start("field", "").Attr("var", "user").Attr("type", "jid-single").Attr("label", "User (bare JID)").Leaf("required", "", "").End()
		t.send(ctx, r.Bytes())
		return
	}
	t.adhoc.drop(sid)
	user, err := adminTarget(formValues(cmd)["user"])
	if err != nil {
		t.done(ctx, st, node, sid, "error", err.Error())
		return
	}
	s := t.session(user)
	if s == nil {
		t.done(ctx, st, node, sid, "error", user+" has no login on "+t.domain+".")
		return
	}
	l := s.Login()
	if node == "admin-remove" {
		if err := t.removeLogin(ctx, user); err != nil {
			t.done(ctx, st, node, sid, "error", errText(err))
			return
		}
		t.log.Info("admin removed a user", "admin", admin, "user", user)
		t.done(ctx, st, node, sid, "info", user+" was removed.")
		return
	}
	client, err := t.client(ctx)
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		_, err = client.Disconnect(cctx, &pb.LoginRef{LoginId: l.LoginID})
		cancel()
	}
	if err != nil {
		t.done(ctx, st, node, sid, "error", errText(err))
		return
	}
	t.log.Info("admin disconnected a user", "admin", admin, "user", user)
	// Numbered as a connection of its own (connmark.go): a late state of
	// the connection just ended is older, and does not overwrite it.
	s.setState(ctx, &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, Message: "disconnected by an administrator",
		Connection: s.newConnection()})
	t.done(ctx, st, node, sid, "info", user+" was disconnected; relogin connects again.")
}

// adminTarget is the bare JID, as the server writes it (the logins'
// key), of the user an admin command's form names: an admin pastes a
// full JID, from a client or a log line, or writes it in other case.
func adminTarget(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", errors.New("no user given: give their bare JID, such as alice@example.org")
	}
	j, err := jid.Parse(v)
	if err != nil || j.Localpart() == "" {
		return "", fmt.Errorf("%q is not a user: give their bare JID, such as alice@example.org", v)
	}
	return j.Bare().String(), nil
}

func commandName(node string) string {
	for _, c := range commands {
		if c.node == node {
			return c.name
		}
	}
	return node
}

func (t *transport) adminUsers() string {
	ss := t.allSessions()
	if len(ss) == 0 {
		return "No users."
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i].user < ss[j].user })
	var b strings.Builder
	for _, sess := range ss {
		l, s := sess.Login(), sess.loginState()
		state := strings.ToLower(strings.TrimPrefix(s.state.String(), "LOGIN_STATE_"))
		fmt.Fprintf(&b, "%s: %s (%s)\n", l.UserJID, l.DisplayName, state)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func (t *transport) adminStats() string {
	ls := t.allSessions()
	counts := map[pb.LoginState]int{}
	for _, s := range ls {
		counts[s.loginState().state]++
	}
	return fmt.Sprintf("%s: %s, %d connected, %d disconnected, %d need to log in again, %d stopped by the network; plugin %s.",
		t.domain, plural(len(ls), "user"), counts[pb.LoginState_LOGIN_STATE_CONNECTED],
		counts[pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT]+counts[pb.LoginState_LOGIN_STATE_CONNECTING]+counts[pb.LoginState_LOGIN_STATE_UNKNOWN],
		counts[pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS]+counts[pb.LoginState_LOGIN_STATE_LOGGED_OUT],
		counts[pb.LoginState_LOGIN_STATE_STOPPED], t.pluginState())
}

// plural is n and noun, with an s unless n is one: "1 user", "2 users".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func (t *transport) pluginState() string {
	if _, err := t.host.Client(); err != nil {
		return "down"
	}
	return "running"
}
