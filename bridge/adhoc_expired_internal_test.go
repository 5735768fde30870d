package bridge

import (
	"context"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
)

// TestCommandSessionExpired: a command session left idle past loginIdle
// answers session-expired with not-allowed (XEP-0050 §4.6), even before
// another session pruned it; an id never handed out, or another user's,
// stays bad-sessionid. Before, the idle session went on as if fresh until
// a new session pruned it, and then was bad-sessionid like an unknown one.
func TestCommandSessionExpired(t *testing.T) {
	tr, _, _, sent := occupantFixture(t)
	tr.adhoc.put("s1", &adhocSession{user: "alice@localhost", node: "unregister", stage: "confirm"})
	tr.adhoc.m["s1"].touched = time.Now().Add(-loginIdle - time.Minute)
	answer := func(id, from, sid string) *wire.Stanza {
		t.Helper()
		st, err := wire.Parse(`<iq type='set' from='` + from + `/phone' to='echo.localhost' id='` + id + `'><command xmlns='http://jabber.org/protocol/commands' node='unregister' sessionid='` + sid + `' action='complete'/></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		tr.handleCommand(context.Background(), st, from, st.Payload())
		for _, o := range sent() {
			if o.ID() == id {
				return o
			}
		}
		t.Fatalf("no answer to %s", id)
		return nil
	}
	check := func(o *wire.Stanza, cond wire.Condition, specific string) {
		t.Helper()
		e := o.Child("", "error")
		if o.Type() != "error" || e == nil || e.Child(wire.NSStanzas, string(cond)) == nil || e.Child(nsCommands, specific) == nil {
			c, text := o.ErrorCondition()
			t.Errorf("want %s with %s, got %s %s (%s)", cond, specific, o.Type(), c, text)
		}
	}
	check(answer("c1", "alice@localhost", "s1"), wire.NotAllowed, "session-expired")
	check(answer("c2", "alice@localhost", "s1"), wire.NotAllowed, "session-expired") // told again, not forgotten
	check(answer("c3", "alice@localhost", "never"), wire.BadRequest, "bad-sessionid")
	check(answer("c4", "mallory@localhost", "s1"), wire.BadRequest, "bad-sessionid")
	if tr.adhoc.get("s1", "alice@localhost") != nil {
		t.Error("the expired session is still open")
	}
}
