package bridge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// legacyFields are the XEP-0077 field elements a plugin's form field may
// map to; other fields appear only in the data form.
var legacyFields = map[string]bool{
	"username": true, "nick": true, "password": true, "name": true, "first": true, "last": true,
	"email": true, "address": true, "city": true, "state": true, "zip": true, "phone": true,
	"url": true, "date": true, "misc": true, "text": true, "key": true,
}

// legacyComplete reports whether the plain fields (legacyFields) are a
// form's answer: each required field maps onto one. Otherwise a client
// without data forms would fill in part of it, and a field such as
// IRC's "username" (its USER, not the account) would seem to be the
// whole login.
func legacyComplete(fields []*pb.FormField) bool {
	for _, f := range fields {
		if f.Required && !legacyFields[f.Id] {
			return false
		}
	}
	return true
}

const callTimeout = 30 * time.Second

// registerForm answers an XEP-0077 get: the plugin's one-step login form,
// or the current registration.
func (t *transport) registerForm(ctx context.Context, st *wire.Stanza, user string) {
	// A login the network refused (or logged out) is not one in use:
	// the form comes again, to register with other credentials.
	if l, ok := t.liveLoginOf(user); ok {
		r := wire.Result(st)
		r.Start("query", wire.NSRegister).Leaf("registered", "", "").
			Leaf("instructions", "", "You are registered as "+l.DisplayName+". To unregister, send <remove/>.").
			Leaf("username", "", l.LoginID).End()
		t.send(ctx, r.Bytes())
		return
	}
	// The form comes from a login process at the plugin: one of the
	// user's logins at a time, as any other.
	p, err := t.claimLogin(ctx, user, "register")
	if err != nil {
		cond, text := reply(err)
		t.send(ctx, wire.ErrorReply(st, cond, text))
		return
	}
	defer t.endLogin(p)
	client, err := t.client(ctx)
	if err != nil {
		cond, text := reply(err)
		t.send(ctx, wire.ErrorReply(st, cond, text))
		return
	}
	// Every login process has its folder; this one's goes with it.
	dir, path, err := t.newLoginDir(user)
	if err != nil {
		cond, text := reply(err)
		t.send(ctx, wire.ErrorReply(st, cond, text))
		return
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	step, err := client.StartLogin(cctx, &pb.StartLoginRequest{UserJid: user, LoginDir: path})
	if err != nil {
		t.removeLoginDir(dir)
		cond, text := reply(err)
		t.send(ctx, wire.ErrorReply(st, cond, text))
		return
	}
	// The form is asked for again on submit; this process is not needed,
	// nor its folder.
	defer t.dropAtPlugin(ctx, step.ProcessId, dir)

	r := wire.Result(st)
	r.Start("query", wire.NSRegister)
	form := step.GetForm()
	if form == nil {
		r.Leaf("instructions", "", "Logging in to "+t.displayName()+" takes more than one step (a code or a QR code): use the login command (ad-hoc commands), or send \"login\" to "+t.domain+" in a chat.").End()
		t.send(ctx, r.Bytes())
		return
	}
	instructions := step.Instructions
	if instructions == "" {
		instructions = "Log in to " + t.displayName() + "."
	}
	legacy := legacyComplete(form.Fields)
	if !legacy {
		instructions += " Your client must show this registration's form (XEP-0004 data forms): some of its fields have no plain equivalent."
	}
	r.Leaf("instructions", "", instructions)
	for _, f := range form.Fields {
		if legacy && legacyFields[f.Id] {
			r.Leaf(f.Id, "", "")
		}
	}
	writeForm(r, "Log in to "+t.displayName(), instructions, wire.NSRegister, form.Fields)
	t.send(ctx, r.Bytes())
}

// writeForm writes an XEP-0004 form of the plugin's fields; formType, when
// set, is its hidden FORM_TYPE.
func writeForm(w *wire.Writer, title, instructions, formType string, fields []*pb.FormField) {
	w.Start("x", wire.NSData).Attr("type", "form")
	w.Leaf("title", "", title).Leaf("instructions", "", instructions)
	if formType != "" {
		w.Start("field", "").Attr("var", "FORM_TYPE").Attr("type", "hidden").Leaf("value", "", formType).End()
	}
	for _, f := range fields {
		w.Start("field", "").Attr("var", f.Id).Attr("type", fieldType(f.Type)).Attr("label", f.Label)
		if f.Description != "" {
			w.Leaf("desc", "", f.Description)
		}
		if f.Required {
			w.Leaf("required", "", "")
		}
		if f.DefaultValue != "" {
			w.Leaf("value", "", f.DefaultValue)
		}
		for _, o := range f.Options {
			w.Start("option", "").Attr("label", o).Leaf("value", "", o).End()
		}
		w.End()
	}
	w.End()
}

func fieldType(t pb.FieldType) string {
	switch t {
	case pb.FieldType_FIELD_TYPE_PASSWORD:
		return "text-private"
	case pb.FieldType_FIELD_TYPE_BOOLEAN:
		return "boolean"
	case pb.FieldType_FIELD_TYPE_SELECT:
		return "list-single"
	}
	return "text-single"
}

// formValues reads a submitted data form, or else the legacy fields.
func formValues(q *wire.Element) map[string]string {
	vals := map[string]string{}
	if x := q.Child(wire.NSData, "x"); x != nil {
		for _, f := range x.Children {
			if f.XMLName.Local != "field" || f.Attr("var") == "FORM_TYPE" {
				continue
			}
			if v := f.Child("", "value"); v != nil {
				vals[f.Attr("var")] = v.Text
			} else {
				vals[f.Attr("var")] = ""
			}
		}
		return vals
	}
	for _, c := range q.Children {
		if legacyFields[c.XMLName.Local] {
			vals[c.XMLName.Local] = c.Text
		}
	}
	return vals
}

// registrationForm reports why x, the data form of a registration that
// is not cancelled, is none the gateway takes, or "": a form of another
// type than submit (dataform.go), or of another FORM_TYPE than the
// registration form's (XEP-0077 §4, XEP-0068), such as
// jabber:iq:register:cancel or jabber:iq:register:changepassword, which
// this gateway does not offer. One with no FORM_TYPE is taken: XEP-0077
// has it only SHOULD.
func registrationForm(x *wire.Element) string {
	if _, bad := submitted(x); bad != "" {
		return bad
	}
	ft, bad := formTypeOf(x)
	switch {
	case bad != "":
		return bad
	case ft != "" && ft != wire.NSRegister:
		return "this is no registration form: its FORM_TYPE is " + ft + ", not " + wire.NSRegister
	}
	return ""
}

// register answers an XEP-0077 set: log in with the submitted form, or
// unregister on <remove/>.
func (t *transport) register(ctx context.Context, st *wire.Stanza, user string, q *wire.Element) {
	if q.Child("", "remove") != nil {
		if len(q.Children) != 1 {
			// XEP-0077 §3.2: <remove/> alone, or bad-request. Beside
			// fields it is no clear wish to leave: the login stays.
			t.send(ctx, wire.ErrorReply(st, wire.BadRequest, "<remove/> must be the only element of the query to unregister"))
			return
		}
		t.unregister(ctx, st, user)
		return
	}
	if x := q.Child(wire.NSData, "x"); x != nil {
		if cancelled, _ := submitted(x); cancelled {
			// XEP-0004: the user gave the form up. Nothing is
			// registered, and a login they have stays as it is.
			t.send(ctx, wire.Result(st).Bytes())
			return
		}
		if bad := registrationForm(x); bad != "" {
			// Taken, a form of another FORM_TYPE or type logged in
			// with what the user never submitted as a registration.
			t.send(ctx, wire.ErrorReply(st, wire.BadRequest, bad))
			return
		}
	}
	asked := time.Now() // the result's budget counts from it (adhocLoginBudget)
	fail := func(err error) {
		cond, text := reply(err)
		t.send(ctx, wire.ErrorReply(st, cond, text))
	}
	// One login of a user at a time, as startLogin has it: the second
	// of two is refused, not a second process at the plugin. The claim
	// goes when this one ends (its folder is this function's).
	p, err := t.claimLogin(ctx, user, "register")
	if err != nil {
		fail(err)
		return
	}
	defer t.endLogin(p)
	client, err := t.client(ctx)
	if err != nil {
		fail(err)
		return
	}
	// The login's folder, from the first step on; it goes unless the
	// login completes (with the plugin's process, once that ended:
	// dropAtPlugin).
	dir, path, err := t.newLoginDir(user)
	if err != nil {
		fail(err)
		return
	}
	kept := false
	defer func() {
		if !kept {
			t.removeLoginDir(dir)
		}
	}()
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	step, err := client.StartLogin(cctx, &pb.StartLoginRequest{UserJid: user, LoginDir: path})
	if err != nil {
		fail(err)
		return
	}
	if step.GetForm() != nil {
		id := step.ProcessId
		step, err = client.SubmitLoginInput(cctx, &pb.SubmitLoginInputRequest{ProcessId: id, Fields: formValues(q)})
		if err != nil {
			fail(err)
			// The plugin keeps a process whose step failed, for another
			// try; a registration makes none (it starts a process of
			// its own), so this one ends there too, and its folder
			// with it.
			t.dropAtPlugin(ctx, id, dir)
			dir = ""
			return
		}
	}
	done := step.GetComplete()
	if done == nil {
		t.dropAtPlugin(ctx, step.ProcessId, dir)
		dir = ""
		text := step.Error
		if text == "" {
			text = "logging in to " + t.displayName() + " needs more than one step: use the login command (ad-hoc commands), or send \"login\" to " + t.domain
		}
		t.send(ctx, wire.ErrorReply(st, wire.NotAcceptable, text))
		return
	}
	if l, ok := t.liveLoginOf(user); ok && l.LoginID != done.LoginId {
		// XEP-0100 §4.4: a registration sent again edits it (the same
		// account, new credentials); another account would quietly
		// replace this one, contacts and all. As in the chat, the user
		// logs out first. The new account's folder goes (kept false).
		t.log.Info("registration of another account refused: logged in", "user", user, "login", l.LoginID)
		t.send(ctx, wire.ErrorReply(st, wire.NotAllowed, fmt.Sprintf(
			"You are registered as %s. Unregister (or log out) first to use another account.", l.DisplayName)))
		return
	}
	l, fresh, err := t.completeLogin(ctx, user, done, dir, true)
	if err != nil {
		fail(err)
		return
	}
	kept = true
	// The result waits for how the connection went, as the login
	// command's last note does (login_connected.go), beside the chat's
	// worker; the claim goes now, the login's process being over.
	t.endLogin(p)
	report := newLoginReport(l.DisplayName, "", true)
	t.tellLogin(ctx, report, fresh)
	answer := func() { t.answerRegistration(ctx, st, report, asked.Add(adhocLoginBudget)) }
	if !t.in.goLive(answer) {
		answer() // stopping: the report is told at once (tellLogin)
	}
}

// answerRegistration answers a registration whose login is stored once
// r, how its connection went, is known, or at deadline: connected, a
// result; the network refused it or could not be reached, an error
// with r's text (the login stays saved, as the login command's does,
// in the state that says so: a refused login is not taken as one in
// use, and the form is offered again); not known by then, a result,
// r following as a chat message.
func (t *transport) answerRegistration(ctx context.Context, st *wire.Stanza, r *loginReport, deadline time.Time) {
	if !r.await(ctx, deadline) {
		t.tell(ctx, wire.Result(st).Bytes())
		return
	}
	r.mu.Lock()
	text, cond := r.text, registrationFailure(r.st, r.known, r.gone)
	r.mu.Unlock()
	if cond == "" {
		t.tell(ctx, wire.Result(st).Bytes())
		return
	}
	t.tell(ctx, wire.ErrorReply(st, cond, text))
}

// registrationFailure is the XMPP error condition of a registration
// whose login's first state is st (known: it came in time; gone: the
// login went before it), "" for none: connected, or not known yet.
func registrationFailure(st loginState, known, gone bool) wire.Condition {
	switch {
	case gone:
		return wire.Conflict
	case !known:
		return ""
	}
	switch st.state {
	case pb.LoginState_LOGIN_STATE_CONNECTED:
		return ""
	case pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, pb.LoginState_LOGIN_STATE_LOGGED_OUT:
		return wire.NotAuthorized // XEP-0077: the credentials refused
	case pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT:
		return wire.RemoteServerTimeout
	}
	return wire.ServiceUnavailable // STOPPED
}

// unregister logs out on the network and deletes the login and all its
// data (XEP-0077 <remove/>). A user with no login who is still the
// gateway's (registeredWithout) is unregistered all the same; one the
// gateway has nothing of (never registered, or unregistered) is
// answered registration-required, as XEP-0077 §3.2 has it.
func (t *transport) unregister(ctx context.Context, st *wire.Stanza, user string) {
	err := t.unregisterUser(ctx, user, func(bool) { t.send(ctx, wire.Result(st).Bytes()) })
	switch {
	case errors.Is(err, errNotRegistered):
		t.send(ctx, wire.ErrorReply(st, wire.RegistrationRequired, "you are not registered with "+t.displayName()+
			"; if it is still in your contact list, remove it there"))
	case err != nil:
		t.send(ctx, wire.ErrorReply(st, wire.InternalServerError, errText(err)))
	}
}

// errNotRegistered: the user has no login and is not the gateway's
// otherwise (registeredWithout); there is nothing to unregister.
var errNotRegistered = errors.New("you are not registered")

// notRegisteredText tells a user the gateway has nothing of that there
// is nothing to unregister (the unregister command, ad-hoc or chat).
func (t *transport) notRegisteredText() string {
	return "You are not registered with " + t.displayName() + "; there is nothing to unregister."
}

// registeredWithout reports whether the user, who has no login, is still
// the gateway's to unregister: they logged out (a logout keeps the
// gateway in the roster for the next login), as the store remembers
// (store/loggedout.go), or, for a logout from before the store kept
// that, their roster lets the gateway see their presence, which it asked
// for at their login (gatewaySeesUser), as far as the server lets the
// gateway read it (XEP-0356).
func (t *transport) registeredWithout(ctx context.Context, user string) (bool, error) {
	out, err := t.db.LoggedOut(t.name, user)
	if err != nil {
		return false, gatewayFault("the gateway could not read its records", err)
	}
	if out || !t.privileges().rosterRead() {
		return out, nil
	}
	in, err := t.gatewaySeesUser(ctx, user)
	if err != nil {
		// Unknown is not registered: the user is told how to remove
		// the gateway from their roster themselves.
		t.log.Warn("cannot read a user's roster to find the gateway in it", "user", user, "err", err)
		return false, nil
	}
	return in, nil
}

// unregisterUser is unregistering, whichever way the user asks (the
// unregister command, in ad-hoc or in chat, or <remove/>): their login
// goes if they have one, then answer is called (had: they had a login)
// and the gateway's subscriptions end (XEP-0100 §4.3). Without a login
// (after a logout, which keeps the gateway in the roster for the next
// login) this is how the gateway leaves their roster, so it succeeds.
// errNotRegistered: the user is not the gateway's (registeredWithout);
// nothing was answered or changed. Another error: the login could not
// be deleted; nothing was answered and the subscriptions stay.
func (t *transport) unregisterUser(ctx context.Context, user string, answer func(had bool)) error {
	if t.session(user) == nil {
		known, err := t.registeredWithout(ctx, user)
		if err != nil {
			return err
		}
		if !known {
			return errNotRegistered
		}
	}
	err := t.removeLogin(ctx, user)
	if err != nil && !errors.Is(err, errNotLoggedIn) {
		return err
	}
	answer(err == nil)
	t.cancelGatewaySubscription(ctx, user)
	// Unregistered: nothing of the user's is kept, and a second
	// <remove/> is registration-required.
	if err := t.db.ForgetLoggedOut(context.WithoutCancel(ctx), t.name, user); err != nil {
		t.log.Warn("a logged out user not forgotten on unregistering", "user", user, "err", err)
	}
	return nil
}

// unregisteredText tells the user they are unregistered; had: they had
// a login.
func (t *transport) unregisteredText(had bool) string {
	if !had {
		return "You had no login on " + t.displayName() + "; you are unregistered from it."
	}
	return "You are unregistered from " + t.displayName() + "."
}

// cancelGatewaySubscription ends the presence subscriptions between
// the user and the gateway, both ways, as XEP-0100 §4.3 has a gateway
// do on unregistration (in whichever way the user unregisters): their
// roster no longer holds it as a contact. A logout keeps them, for the
// next login.
func (t *transport) cancelGatewaySubscription(ctx context.Context, user string) {
	t.send(ctx, t.presence(user, "unsubscribed"))
	t.send(ctx, t.presence(user, "unsubscribe"))
}
