package bridge_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandListNodeInfo: disco#info on the command list's node
// answers with its identity (XEP-0050 §2.2: automation/command-list),
// not item-not-found.
func TestCommandListNodeInfo(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#info' node='http://jabber.org/protocol/commands'/></iq>`)
	if err != nil || st.Type != "result" {
		t.Fatalf("disco#info on the command list's node: %v %s", err, st.XML)
	}
	for _, want := range []string{`category="automation"`, `type="command-list"`, `node="http://jabber.org/protocol/commands"`} {
		if !strings.Contains(st.XML, want) {
			t.Errorf("disco#info on the command list's node without %s: %s", want, st.XML)
		}
	}
}

// TestCommandSessionAndActions: a command done in one stage still has a
// session ID (XEP-0050 §4.1: the responder initialises it), also when a
// login is refused; an action no stage offers is bad-action, one that is
// no action at all malformed-action, and an unknown session
// bad-sessionid (§4.4), instead of running as execute; a cancel of an
// unknown session is canceled.
func TestCommandSessionAndActions(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	for _, node := range []string{"status", "login"} {
		r, st := command(t, alice, node, "", "", nil)
		if r.Command.Status != "completed" || r.Command.SessionID == "" {
			t.Errorf("%s: %s, want completed with a sessionid", node, st.XML)
		}
	}
	// Cancel is always allowed: a session that expired (a form left
	// open) is canceled, not an error.
	if r, st := command(t, alice, "login", "expired-session", "cancel", nil); r.Command.Status != "canceled" {
		t.Errorf("cancel of an expired session: %s", st.XML)
	}
	for _, c := range []struct{ action, sid, specific string }{
		{"bogus", "", "malformed-action"},
		{"prev", "", "bad-action"},
		{"", "no-such-session", "bad-sessionid"},
	} {
		r, st := command(t, alice, "status", c.sid, c.action, nil)
		if st.Type != "error" || st.Err == nil || st.Err.Condition != "bad-request" ||
			!strings.Contains(st.XML, `<`+c.specific+` xmlns="http://jabber.org/protocol/commands"`) {
			t.Errorf("action %q session %q: %s %s, want bad-request with %s", c.action, c.sid, r.XML, st.XML, c.specific)
		}
	}
}

// TestCommandSessionlessNextComplete: next or complete with no session
// is bad-action (a command begins with execute, XEP-0050 §3.4), and does
// nothing: run as execute, a sessionless complete of logout or next of
// unregister logged the user out at once.
func TestCommandSessionlessNextComplete(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	for _, c := range []struct{ node, action string }{
		{"logout", "complete"},
		{"unregister", "next"},
		{"status", "complete"},
	} {
		r, st := command(t, alice, c.node, "", c.action, nil)
		if st.Type != "error" || st.Err == nil || st.Err.Condition != "bad-request" ||
			!strings.Contains(st.XML, `<bad-action xmlns="http://jabber.org/protocol/commands"`) {
			t.Errorf("%s with %s and no session: %s %s, want bad-request with bad-action", c.node, c.action, r.XML, st.XML)
		}
	}
	st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='jabber:iq:register'/></iq>`)
	if err != nil || !strings.Contains(st.XML, "<registered") {
		t.Errorf("after sessionless next and complete, still registered? %v %s", err, st.XML)
	}
}

// TestLoginCommandNoFlows: a plugin that lists no way to log in (the
// conformance kit refuses it, but one may run) gets the login command
// answered with an error, and the gateway goes on; it took the first of
// no flows and stopped there (a panic: the whole gateway went down).
func TestLoginCommandNoFlows(t *testing.T) {
	bin := filepath.Join(filepath.Dir(echoBin), "noflows")
	build := exec.Command("go", "build", "-o", bin, "passerelle.im/passerelle/bridge/testdata/noflows")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the noflows plugin: %v\n%s", err, out)
	}
	s := newStack(t, stackOptions{plugin: bin})
	alice := s.user("alice")
	s.waitGateway(alice)
	r, st := command(t, alice, "login", "", "", nil)
	if st.Type != "error" || st.Err == nil || st.Err.Condition != "feature-not-implemented" {
		t.Fatalf("login on a network with no login flow: %s %s, want feature-not-implemented", r.XML, st.XML)
	}
	if r, st := command(t, alice, "status", "", "", nil); r.Command.Status != "completed" {
		t.Fatalf("the gateway after it: %s", st.XML)
	}
}
