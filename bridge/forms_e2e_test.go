package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// registerForm submits XEP-0077 with a data form (XEP-0004) of this type
// and FORM_TYPE ("" for none) giving the echo username.
func registerForm(t *testing.T, c *xmpptest.Client, typ, formType, username string) xmpptest.Stanza {
	t.Helper()
	ft := ""
	if formType != "" {
		ft = `<field var='FORM_TYPE' type='hidden'><value>` + formType + `</value></field>`
	}
	st, err := c.IQ(ctxT(t), `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='`+typ+`'>`+
		ft+`<field var='username'><value>`+username+`</value></field></x></query></iq>`)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	return st
}

// registeredAs reports the XEP-0077 form's <username/> of a registered
// user, "" for one not registered.
func registeredAs(t *testing.T, c *xmpptest.Client) string {
	t.Helper()
	q, err := c.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='jabber:iq:register'/></iq>`)
	if err != nil || q.Type != "result" {
		t.Fatalf("registration form: %v %s", err, q.XML)
	}
	if !strings.Contains(q.XML, "<registered") {
		return ""
	}
	_, rest, _ := strings.Cut(q.XML, "<username>")
	name, _, _ := strings.Cut(rest, "</username>")
	return name
}

// notLoggedIn checks that the user has no login: a message is
// registration-required (the XEP-0077 form is not asked for: it would
// meet the login in progress).
func notLoggedIn(t *testing.T, c *xmpptest.Client, after string) {
	t.Helper()
	sendChat(t, c, "bob@"+domain, "hi")
	if st := nextMessage(t, c, "bob@"+domain, timeout); st.Err == nil || st.Err.Condition != "registration-required" {
		t.Fatalf("%s logged in: %s", after, st.XML)
	}
}

// TestRegistrationFormTypes: a registration's data form of another
// FORM_TYPE than jabber:iq:register (XEP-0077 §4, XEP-0068), or of
// another type than submit (XEP-0004 §3.1), is bad-request naming what
// is wanted, and registers nothing; one of type cancel is the user
// giving up: an empty result, nothing registered, and a login they have
// stays. Before, the first two registered, and a cancel was answered
// "the username must not be empty".
func TestRegistrationFormTypes(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	for _, c := range []struct{ typ, formType, want string }{
		{"submit", "jabber:iq:register:changepassword", "FORM_TYPE is jabber:iq:register:changepassword, not jabber:iq:register"},
		{"submit", "urn:xmpp:mam:2", "not jabber:iq:register"},
		{"result", "jabber:iq:register", "type 'submit'"},
		{"form", "", "not 'form'"},
	} {
		r := registerForm(t, alice, c.typ, c.formType, "alice")
		if r.Err == nil || r.Err.Condition != "bad-request" || !strings.Contains(r.Err.Text, c.want) {
			t.Fatalf("a form of type %s and FORM_TYPE %q: want bad-request saying %q, got %s", c.typ, c.formType, c.want, r.XML)
		}
		if as := registeredAs(t, alice); as != "" {
			t.Fatalf("a form of type %s and FORM_TYPE %q registered %s", c.typ, c.formType, as)
		}
	}
	if r := registerForm(t, alice, "cancel", "jabber:iq:register", ""); r.Type != "result" {
		t.Fatalf("a cancelled form: want an empty result, got %s", r.XML)
	}
	if as := registeredAs(t, alice); as != "" {
		t.Fatalf("a cancelled form registered %s", as)
	}
	// The registration form's own FORM_TYPE, and a form without one
	// (XEP-0077 has it SHOULD), register.
	if r := registerForm(t, alice, "submit", "jabber:iq:register", "alice"); r.Type != "result" {
		t.Fatalf("a registration form: %s", r.XML)
	}
	if as := registeredAs(t, alice); as != "alice" {
		t.Fatalf("registered as %q, want alice", as)
	}
	bob := s.user("bob")
	if r := registerForm(t, bob, "submit", "", "bob"); r.Type != "result" {
		t.Fatalf("a registration form without FORM_TYPE: %s", r.XML)
	}
	// A cancel with a login leaves it.
	if r := registerForm(t, alice, "cancel", "", ""); r.Type != "result" {
		t.Fatalf("a cancelled form: want an empty result, got %s", r.XML)
	}
	if as := registeredAs(t, alice); as != "alice" {
		t.Fatalf("after a cancelled form, registered as %q, want alice still", as)
	}
	echoOK(t, alice, "still here", timeout)
}

// commandForm answers a command's stage with a data form of this type.
func commandForm(t *testing.T, c *xmpptest.Client, node, sid, action, typ, fields string) xmpptest.Stanza {
	t.Helper()
	st, err := c.IQ(ctxT(t), `<iq type='set' to='`+domain+`'><command xmlns='http://jabber.org/protocol/commands' node='`+node+`' sessionid='`+sid+`' action='`+action+`'>`+
		`<x xmlns='jabber:x:data' type='`+typ+`'>`+fields+`</x></command></iq>`)
	if err != nil {
		t.Fatalf("command: %v", err)
	}
	return st
}

// TestCommandFormOfOtherType: a command stage answered with a data form
// of type result or form (a client echoing back what it was sent) is
// bad-request with XEP-0050's bad-payload, and the session stays, its
// form to be submitted; one of type cancel cancels the command (XEP-0004
// §3.1), as the cancel action does. Before, either was taken as a
// submission: the login command logged in with it.
func TestCommandFormOfOtherType(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	r, st := command(t, alice, "login", "", "execute", nil)
	sid := r.Command.SessionID
	if sid == "" || !strings.Contains(st.XML, `var="username"`) {
		t.Fatalf("login: want the username form, got %s", st.XML)
	}
	username := `<field var='username'><value>alice</value></field>`
	for _, typ := range []string{"result", "form"} {
		for _, action := range []string{"next", "execute"} {
			a := commandForm(t, alice, "login", sid, action, typ, username)
			if a.Err == nil || a.Err.Condition != "bad-request" || !strings.Contains(a.XML, "bad-payload") || !strings.Contains(a.Err.Text, "not '"+typ+"'") {
				t.Fatalf("%s with a form of type %s: want bad-request, bad-payload, got %s", action, typ, a.XML)
			}
		}
	}
	notLoggedIn(t, alice, "a form that was no submission")
	a := commandForm(t, alice, "login", sid, "next", "cancel", "")
	if a.Type != "result" || !strings.Contains(a.XML, `status="canceled"`) {
		t.Fatalf("a cancel form: want the command canceled, got %s", a.XML)
	}
	// Cancelled, the session is gone: a submission to it is refused.
	a = commandForm(t, alice, "login", sid, "next", "submit", username)
	if a.Type != "error" {
		t.Fatalf("a submission after the cancel form was taken: %s", a.XML)
	}
	notLoggedIn(t, alice, "a cancelled login")
	// A login submitted as it should be goes through.
	r, st = command(t, alice, "login", "", "execute", nil)
	if r.Command.SessionID == "" {
		t.Fatalf("login: %s", st.XML)
	}
	if a := commandForm(t, alice, "login", r.Command.SessionID, "next", "submit", username); a.Type != "result" || !strings.Contains(a.XML, `status="completed"`) {
		t.Fatalf("a submitted login: %s", a.XML)
	}
}
