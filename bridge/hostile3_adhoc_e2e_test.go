package bridge_test

import (
	"fmt"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestCommandSessionFlood: a client that executes a command over and
// over without finishing any opens at most 16 sessions: past that its
// least recently used one ends, and an answer to it is told
// session-expired (XEP-0050 §4.6), said to be pushed out by newer ones
// (not left open ten minutes, which it was not); its newest still completes, and
// another user's session is not pushed out. Before, each execute kept a
// session for ten minutes, without bound, and each new one scanned them
// all.
func TestCommandSessionFlood(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	bob := roomUser(t, s, "bob")
	r, st, err := bob.Command(ctxT(t), domain, "create-group", "", "execute", nil)
	if err != nil || r.Command.SessionID == "" {
		t.Fatalf("bob's create-group: %v %s", err, st.XML)
	}
	bobSID := r.Command.SessionID
	var sids []string
	for range 100 {
		r, st, err := alice.Command(ctxT(t), domain, "create-group", "", "execute", nil)
		if err != nil || r.Command.SessionID == "" {
			t.Fatalf("alice's create-group: %v %s", err, st.XML)
		}
		sids = append(sids, r.Command.SessionID)
	}
	// The first ones ran out.
	for _, sid := range sids[:100-16] {
		_, st, err := alice.Command(ctxT(t), domain, "create-group", sid, "complete", map[string]string{"name": "g", "members": "echo-1@" + domain})
		if err != nil || st.Type != "error" || st.Err.Condition != "not-allowed" || !strings.Contains(st.XML, "session-expired") || !strings.Contains(st.Err.Text, "16 newer ones") {
			t.Fatalf("session %s of the first: want session-expired, got %v %s", sid, err, st.XML)
		}
	}
	// The newest ones stay: each takes its form (a group without a name,
	// answered as such; a cancel would not tell, as one of an expired
	// session is canceled too).
	for _, sid := range sids[100-16:] {
		_, st, err := alice.Command(ctxT(t), domain, "create-group", sid, "complete", map[string]string{"name": ""})
		if err != nil || st.Type != "result" || !strings.Contains(st.XML, "needs a name") {
			t.Fatalf("session %s of the newest: %v %s", sid, err, st.XML)
		}
	}
	r, st, err = alice.Command(ctxT(t), domain, "create-group", "", "execute", nil)
	if err != nil || r.Command.SessionID == "" {
		t.Fatalf("alice's create-group: %v %s", err, st.XML)
	}
	r, st, err = alice.Command(ctxT(t), domain, "create-group", r.Command.SessionID, "complete", map[string]string{"name": "flooded", "members": "echo-1@" + domain})
	if err != nil || st.Type != "result" || r.Command.Status != "completed" {
		t.Fatalf("the newest session did not complete: %v %s", err, st.XML)
	}
	r, st, err = bob.Command(ctxT(t), domain, "create-group", bobSID, "complete", map[string]string{"name": "bob's", "members": "echo-1@" + domain})
	if err != nil || st.Type != "result" || r.Command.Status != "completed" {
		t.Fatalf("bob's session was pushed out by alice's: %v %s", err, st.XML)
	}
	stillWell(t, s, alice, "command flood")
}

// TestCommandFormsHostile: command forms submitted with what no client
// offers (numbers out of range or not numbers, a room the user is not
// in, thousands of members, a huge query, a flow that does not exist,
// an admin's command from a user) are each answered, a note or an
// error, and the transport goes on.
func TestCommandFormsHostile(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	many := make([]string, 5000)
	for i := range many {
		many[i] = "echo-1@" + domain
	}
	for i, c := range []struct {
		node   string
		fields map[string][]string
	}{
		{"room-retention", map[string][]string{"room": {room}, "days": {"-1"}, "messages": {"5"}}},
		{"room-retention", map[string][]string{"room": {room}, "days": {"99999999999999999999"}, "messages": {"1e9"}}},
		{"room-retention", map[string][]string{"room": {room}, "days": {"NaN"}, "messages": {"0x10"}}},
		{"room-retention", map[string][]string{"room": {"nowhere@" + domain}, "days": {"1"}}},
		{"room-retention", map[string][]string{"room": {strings.Repeat("r", 5000)}}},
		{"leave-group", map[string][]string{"room": {"nowhere@" + domain}, "reason": {strings.Repeat("why ", 20000)}}},
		{"find-group", map[string][]string{"query": {strings.Repeat("q", 100000)}}},
		{"find-group", map[string][]string{"query": {""}}},
		{"create-group", map[string][]string{"name": {strings.Repeat("n", 50000)}, "members": many}},
		{"create-group", map[string][]string{"name": {""}, "members": {"nobody@elsewhere", "\x7f@" + domain}}},
		{"login", map[string][]string{"flow": {"no such flow"}}},
	} {
		r, st, err := alice.CommandForm(ctxT(t), domain, c.node, "", "execute", nil)
		if err != nil {
			t.Fatalf("%d %s: %v", i, c.node, err)
		}
		if st.Type == "error" || r.Command.Status != "executing" {
			continue // answered at once: nothing to submit
		}
		_, st, err = alice.CommandForm(ctxT(t), domain, c.node, r.Command.SessionID, "complete", c.fields)
		if err != nil || st.Type != "result" && st.Type != "error" {
			t.Fatalf("%d %s: %v %.300s", i, c.node, err, st.XML)
		}
	}
	for _, node := range []string{"admin-users", "admin-stats", "admin-disconnect", "admin-remove"} {
		_, st, err := alice.Command(ctxT(t), domain, node, "", "execute", nil)
		if err != nil || st.Err == nil || st.Err.Condition != "forbidden" {
			t.Errorf("%s by a user: want forbidden, got %v %s", node, err, st.XML)
		}
	}
	if n := s.logs.Count("room retention set"); n != 0 {
		t.Errorf("a retention out of range was set %d times:\n%s", n, s.logs)
	}
	stillWell(t, s, alice, "hostile command forms")
}

// TestLoginStepFlood: a client that submits a login stage many times
// over while the first submission is still with the network (the echo
// network takes 1.5 s for a "+slowcode" code) gets each other one
// refused at once, resource-constraint; the first completes the login.
// Before, each submission started a goroutine that queued behind the
// first, each of a QR stage waiting up to a minute in turn: a client
// could pile them up without bound, its IQs unanswered meanwhile.
func TestLoginStepFlood(t *testing.T) {
	s := newStack(t, stackOptions{})
	bob := s.user("bob")
	s.waitGateway(bob)
	r, _ := command(t, bob, "login", "", "", nil)
	sid := r.Command.SessionID
	r, st := command(t, bob, "login", sid, "next", map[string]string{"username": "bob+slowcode"})
	if _, _, ok := r.Field("code"); !ok {
		t.Fatalf("code stage: %s", st.XML)
	}
	const n = 20
	for i := range n {
		raw(t, bob, fmt.Sprintf(`<iq type='set' id='step%d' to='%s'><command xmlns='http://jabber.org/protocol/commands' node='login' sessionid='%s' action='next'><x xmlns='jabber:x:data' type='submit'><field var='code'><value>0000</value></field></x></command></iq>`, i, domain, sid))
	}
	completed, refused := 0, 0
	for i := range n {
		id := fmt.Sprint("step", i)
		st, err := bob.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "iq" && s.ID == id })
		if err != nil {
			t.Fatalf("%s unanswered: %v", id, err)
		}
		switch {
		case st.Type == "result" && strings.Contains(st.XML, `status="completed"`) && !strings.Contains(st.XML, `type="error"`):
			completed++
		case st.Type == "error" && (st.Err.Condition == "resource-constraint" || strings.Contains(st.XML, "bad-sessionid")):
			refused++
		default:
			t.Errorf("%s: %s", id, st.XML)
		}
	}
	if completed != 1 || refused != n-1 {
		t.Errorf("%d submissions completed the login and %d were refused; want 1 and %d", completed, refused, n-1)
	}
	echoOK(t, bob, "logged in", timeout)
}
