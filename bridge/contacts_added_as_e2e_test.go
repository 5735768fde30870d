package bridge_test

import (
	"strings"
	"testing"
)

// The echo network trims what it resolves: the contact at
// "\20carol@" (a space before carol) is added there as carol.
const (
	askedCarol = `\20carol@` + domain
	addedCarol = "carol@" + domain
)

// TestAddedUnderAnotherID: a contact the network adds under another ID
// than the JID the user subscribed to joins the roster under its own JID
// at once; the JID asked is answered with a plain refusal naming it, and
// leaves the roster. Before, the JID asked was approved, a contact no
// event would ever reach, and the added one missing until a sync.
func TestAddedUnderAnotherID(t *testing.T) {
	_, alice := privilegedAlice(t)
	roster(t, alice) // an interested resource: it gets the answers
	raw(t, alice, `<presence type='subscribe' to='`+askedCarol+`'/>`)
	p := nextAnswer(t, alice, askedCarol)
	if p.Type != "unsubscribed" || !strings.Contains(p.XML, addedCarol) {
		t.Errorf("the JID asked was answered %s, want unsubscribed naming %s", p.XML, addedCarol)
	}
	waitRoster(t, alice, "holding carol under her own JID and not the one asked", func(r map[string]rosterItem) bool {
		_, asked := r[askedCarol]
		return r[addedCarol].Sub == "both" && !asked
	})
	nextPresence(t, alice, addedCarol, "", nil)
}

// TestAddedUnderAnotherIDUnprivileged: without roster permission the
// contact the network added asks the user, with its name, as a synced
// one does.
func TestAddedUnderAnotherIDUnprivileged(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	roster(t, alice)
	raw(t, alice, `<presence type='subscribe' to='`+askedCarol+`'/>`)
	if p := nextAnswer(t, alice, askedCarol); p.Type != "unsubscribed" {
		t.Errorf("the JID asked was answered %s, want unsubscribed", p.XML)
	}
	nextPresence(t, alice, addedCarol, "subscribe", has(`<nick xmlns="http://jabber.org/protocol/nick">carol</nick>`))
}

// TestAddedAsKnownContact: added under the ID of a contact the user has
// in the roster already, the contact keeps the name and group the user
// gave it.
func TestAddedAsKnownContact(t *testing.T) {
	_, alice := privilegedAlice(t)
	one, asked := "echo-1@"+domain, `\20echo-1@`+domain
	if st, err := alice.IQ(ctxT(t), `<iq type='set'><query xmlns='jabber:iq:roster'><item jid='`+one+`' name='Mum'><group>Family</group></item></query></iq>`); err != nil || st.Type != "result" {
		t.Fatalf("roster set: %v %s", err, st.XML)
	}
	roster(t, alice)
	raw(t, alice, `<presence type='subscribe' to='`+asked+`'/>`)
	if p := nextAnswer(t, alice, asked); p.Type != "unsubscribed" {
		t.Errorf("the JID asked was answered %s, want unsubscribed", p.XML)
	}
	// Behind the subscription in its chat: once answered, the gateway
	// is done with it, roster pushes included.
	if st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+asked+`'><ping xmlns='urn:xmpp:ping'/></iq>`); err != nil || st.Type != "result" {
		t.Fatalf("ping: %v %s", err, st.XML)
	}
	r := roster(t, alice)
	if _, ok := r[asked]; ok {
		t.Errorf("the JID asked is still in the roster: %+v", r[asked])
	}
	if got := r[one]; got.Name != "Mum" || len(got.Groups) != 1 || got.Groups[0] != "Family" {
		t.Errorf("echo-1 after being added again: %+v, want Mum in Family", got)
	}
}
