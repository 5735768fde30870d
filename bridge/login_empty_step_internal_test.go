package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// emptyStepLogin is alice's login in progress through via, to which the
// plugin sent a step with nothing set (no form, display or completion).
func emptyStepLogin(t *testing.T, via string) (*transport, *loginProc, func() []*wire.Stanza) {
	t.Helper()
	tr, _, _, sent := occupantFixture(t)
	tr.procs = map[string]*loginProc{}
	p := &loginProc{t: tr, user: "alice@localhost", via: via, changed: make(chan struct{}), touched: time.Now(), answers: map[string]string{}}
	tr.procs[p.user] = p
	p.setStep(context.Background(), &pb.LoginStep{ProcessId: "p1"}, nil)
	return tr, p, sent
}

// TestLoginEmptyStepCommand: a login step with nothing set ends the
// login command with an error note, and the login with it. Before,
// renderLogin matched none of its cases: the user's command went
// unanswered and the login stayed open.
func TestLoginEmptyStepCommand(t *testing.T) {
	tr, p, sent := emptyStepLogin(t, "adhoc")
	sess := &adhocSession{user: p.user, node: "login", stage: "login", proc: p}
	tr.adhoc.put("s1", sess)
	st, err := wire.Parse(`<iq type='set' from='alice@localhost/phone' to='echo.localhost' id='c1'><command xmlns='http://jabber.org/protocol/commands' node='login' sessionid='s1'/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	tr.renderLogin(context.Background(), st, "s1", sess, time.Now())
	var answered bool
	for _, o := range sent() {
		if o.Kind() != "iq" || o.ID() != "c1" {
			continue
		}
		c := o.Child(nsCommands, "command")
		n := c.Child("", "note")
		answered = c.Attr("status") == "completed" && n != nil && n.Attr("type") == "error" && strings.Contains(n.Text, "nothing to do")
	}
	if !answered {
		t.Error("the login command's step with nothing set was not answered with an error")
	}
	if tr.procOf(p.user) != nil {
		t.Error("the login stayed open")
	}
	if tr.adhoc.get("s1", p.user) != nil {
		t.Error("the command session stayed open")
	}
}

// TestLoginEmptyStepChat: in the chat login, a step with nothing set
// ends the login and the user is told. Before, askNext had no form to
// ask about: nothing was said and the login stayed open.
func TestLoginEmptyStepChat(t *testing.T) {
	tr, p, sent := emptyStepLogin(t, "chat")
	var told bool
	for _, o := range sent() {
		if b, ok := o.Body(); ok && o.Kind() == "message" && strings.HasPrefix(b, "The login failed") {
			told = true
		}
	}
	if !told {
		t.Error("the user was not told the login failed")
	}
	if tr.procOf(p.user) != nil {
		t.Error("the login stayed open")
	}
}

// TestCancelOtherCommandSession: a cancel naming a session of another
// command is bad-sessionid (XEP-0050 §4.6) and that session stays open.
// Before, it was answered canceled and the session went on.
func TestCancelOtherCommandSession(t *testing.T) {
	tr, _, _, sent := occupantFixture(t)
	tr.adhoc.put("s1", &adhocSession{user: "alice@localhost", node: "login", stage: "flow"})
	st, err := wire.Parse(`<iq type='set' from='alice@localhost/phone' to='echo.localhost' id='c2'><command xmlns='http://jabber.org/protocol/commands' node='logout' sessionid='s1' action='cancel'/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	tr.handleCommand(context.Background(), st, "alice@localhost", st.Payload())
	var got string
	for _, o := range sent() {
		if o.ID() == "c2" {
			got = o.Type()
			if e := o.Child("", "error"); e != nil && e.Child(nsCommands, "bad-sessionid") == nil {
				got = "error without bad-sessionid"
			}
		}
	}
	if got != "error" {
		t.Errorf("cancel of another command's session: got %q, want a bad-sessionid error", got)
	}
	if tr.adhoc.get("s1", "alice@localhost") == nil {
		t.Error("the login command's session was closed")
	}
}
