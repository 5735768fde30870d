package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestSyncContacts: the sync-contacts command puts a contact the user
// took out of the roster back in, with its name, and leaves the others
// as the user has them (a name the user gave stays); without the roster
// permission the contacts ask again to be added, and one the user
// declined is asked for again. Logged out, the command says so.
func TestSyncContacts(t *testing.T) {
	_, alice := privilegedAlice(t)
	echo1, echo2 := "echo-1@"+domain, "echo-2@"+domain
	waitRoster(t, alice, "held the echo contacts", func(r map[string]rosterItem) bool { return len(r) == 3 })
	for _, set := range []string{
		`<item jid='` + echo1 + `' subscription='remove'/>`,
		`<item jid='` + echo2 + `' name='My Two'><group>Echo</group></item>`,
	} {
		if st, err := alice.IQ(ctxT(t), `<iq type='set'><query xmlns='jabber:iq:roster'>`+set+`</query></iq>`); err != nil || st.Type != "result" {
			t.Fatalf("roster set %s: %v %s", set, err, st.XML)
		}
	}
	waitRoster(t, alice, "without echo-1", func(r map[string]rosterItem) bool { _, ok := r[echo1]; return !ok })

	r, _ := command(t, alice, "sync-contacts", "", "", nil)
	if r.Command.Status != "completed" || !strings.Contains(r.Notes(), "info: 1 of your 3 contacts put back in your roster") {
		t.Fatalf("sync-contacts: %s", r.XML)
	}
	got := waitRoster(t, alice, "with echo-1 again", func(r map[string]rosterItem) bool { _, ok := r[echo1]; return ok })
	if it := got[echo1]; it.Name != "Echo One" || it.Sub != "both" {
		t.Errorf("echo-1 back as %+v, want Echo One, both ways", it)
	}
	if it := got[echo2]; it.Name != "My Two" {
		t.Errorf("echo-2 is %+v: the user's name for it was undone", it)
	}

	// Without the permission: the contacts' requests again (the server
	// passes on those declined), from the gateway chat too.
	plain := newStack(t, stackOptions{})
	carol := registered(t, plain, "carol")
	for _, c := range []string{"echo-1", "echo-2", "echo-3"} {
		nextPresence(t, carol, c+"@"+domain, "subscribe", nil)
	}
	// Carol declines echo-1: its request is gone from her client.
	raw(t, carol, `<presence type='unsubscribed' to='`+echo1+`'/>`)
	raw(t, carol, `<message type='chat' to='`+domain+`'><body>sync</body></message>`)
	if _, err := carol.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.From == domain && strings.Contains(st.Body, "Your 3 contacts ask again to be added")
	}); err != nil {
		t.Fatalf("no answer to sync: %v", err)
	}
	nextPresence(t, carol, echo1, "subscribe", func(st xmpptest.Stanza) bool { return strings.Contains(st.XML, "Echo One") })

	dave := plain.user("dave")
	plain.waitGateway(dave)
	if r, _ := command(t, dave, "sync-contacts", "", "", nil); !strings.Contains(r.Notes(), "error: you are not logged in") {
		t.Errorf("sync-contacts logged out: %s", r.XML)
	}
}
