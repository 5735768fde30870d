package bridge_test

import (
	"strings"
	"testing"
)

// TestCommandSessionFlood: a client that executes a command over and
// over without finishing any opens at most 16 sessions: past that its
// least recently used one ends, and an answer to it is told
// session-expired (XEP-0050 §4.6); its newest still completes, and
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
		if err != nil || st.Type != "error" || st.Err.Condition != "not-allowed" || !strings.Contains(st.XML, "session-expired") {
			t.Fatalf("session %s of the first: want session-expired, got %v %s", sid, err, st.XML)
		}
	}
	// The newest ones stay.
	for _, sid := range sids[100-16:] {
		_, st, err := alice.Command(ctxT(t), domain, "create-group", sid, "cancel", nil)
		if err != nil || st.Type != "result" || !strings.Contains(st.XML, `status="canceled"`) {
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
