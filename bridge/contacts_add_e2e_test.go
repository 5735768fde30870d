package bridge_test

import (
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// syncsDone waits until the log holds n contact syncs and returns the
// last one's line.
func syncsDone(t *testing.T, s *stack, n int) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for s.logs.Count(`msg="contacts synced"`) < n {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d contact syncs", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	logs := s.logs.String()
	last := logs[strings.LastIndex(logs, `msg="contacts synced"`):]
	return last[:strings.IndexByte(last, '\n')]
}

// TestGatewayLookupThenAdd: the XEP-0100 way of adding a contact, a
// jabber:iq:gateway lookup then a subscription to the JID it gave, adds
// the contact on the network; the lookup alone adds nothing. Once the
// lookup stored the contact, the subscription found it known, the
// network never had it, and the next contact sync (here at a relogin)
// took it out of the roster.
func TestGatewayLookupThenAdd(t *testing.T) {
	s, alice := privilegedAlice(t)
	carol := "carol@" + domain
	roster(t, alice) // an interested resource (RFC 6121 §3.1.6): it gets the answers
	gw, err := alice.IQ(ctxT(t), `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:gateway'><prompt>carol</prompt></query></iq>`)
	if err != nil || !strings.Contains(gw.XML, "<jid>"+carol+"</jid>") {
		t.Fatalf("lookup: %v %s", err, gw.XML)
	}
	raw(t, alice, `<presence type='subscribe' to='`+carol+`'/>`)
	nextPresence(t, alice, carol, "subscribed", nil)
	waitRoster(t, alice, "showed carol", func(r map[string]rosterItem) bool { return r[carol].Sub == "to" || r[carol].Sub == "both" })

	if r, _ := command(t, alice, "relogin", "", "", nil); r.Command.Status != "completed" {
		t.Fatalf("relogin: %s", r.XML)
	}
	if last := syncsDone(t, s, 2); !strings.Contains(last, "contacts=4 added=0 changed=0 removed=0") {
		t.Errorf("the sync after the relogin: %s", last)
	}
	echoOK(t, alice, "after the relogin", timeout)
	if r := roster(t, alice); r[carol].Sub != "to" && r[carol].Sub != "both" {
		t.Errorf("carol after the relogin: %+v", r[carol])
	}
}

// TestAddContactMutual: a contact the user adds asks back, with its name
// (XEP-0100 §4.6.1), so that once the user approves, the subscription is mutual
// ("both"), as a synced contact's.
func TestAddContactMutual(t *testing.T) {
	_, alice := privilegedAlice(t)
	zed := "zed@" + domain
	roster(t, alice) // an interested resource: it gets the answers
	raw(t, alice, `<presence type='subscribe' to='`+zed+`'/>`)
	nextPresence(t, alice, zed, "subscribed", nil)
	nextPresence(t, alice, zed, "subscribe", has(`<nick xmlns="http://jabber.org/protocol/nick">zed</nick>`))
	raw(t, alice, `<presence type='subscribed' to='`+zed+`'/>`)
	waitRoster(t, alice, "showed zed with a mutual subscription", func(r map[string]rosterItem) bool { return r[zed].Sub == "both" })
}

// TestSubscribeUnregistered: a user with no login who adds a contact JID
// is refused: no roster item that cannot work. Adding the gateway itself
// is still approved.
func TestSubscribeUnregistered(t *testing.T) {
	s := newStack(t, stackOptions{})
	bob := s.user("bob")
	s.waitGateway(bob)
	carol := "carol@" + domain
	roster(t, bob) // an interested resource: it gets the answers
	raw(t, bob, `<presence type='subscribe' to='`+carol+`'/>`)
	if p := nextAnswer(t, bob, carol); p.Type != "unsubscribed" {
		t.Errorf("subscription of a user with no login to a contact: %s", p.XML)
	}
	raw(t, bob, `<presence type='subscribe' to='`+domain+`'/>`)
	if p := nextAnswer(t, bob, domain); p.Type != "subscribed" {
		t.Errorf("subscription of a user with no login to the gateway: %s", p.XML)
	}
}

// nextAnswer waits for the answer from from to a subscription request.
func nextAnswer(t *testing.T, c *xmpptest.Client, from string) xmpptest.Stanza {
	t.Helper()
	st, err := c.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && bareJID(st.From) == from && (st.Type == "subscribed" || st.Type == "unsubscribed")
	})
	if err != nil {
		t.Fatalf("no answer from %s: %v", from, err)
	}
	return st
}

// TestResourceOfflineUserOnline: the user's presence reaches the network
// (Echo Three mirrors it); one of two resources going offline leaves the
// user online there; the last one going offline makes them offline.
func TestResourceOfflineUserOnline(t *testing.T) {
	s, alice := privilegedAlice(t)
	echo3 := "echo-3@" + domain
	// The gateway sees her presence: her server tells it of each resource.
	raw(t, alice, `<presence type='subscribed' to='`+domain+`'/>`)
	s.logs.waitLog(t, `msg="user availability" transport=echo user=alice@localhost from=unknown to=online`, timeout)

	two := s.loginResource("alice", "two")
	raw(t, two, `<presence><status>two here</status></presence>`)
	nextPresence(t, alice, echo3, "", has("two here"))

	two.Close()
	// Her server told the gateway in the same go: it has it before what
	// she sends next.
	nextPresence(t, alice, "alice@localhost", "unavailable", nil)
	raw(t, alice, `<presence><show>dnd</show><status>one here</status></presence>`)
	st, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && bareJID(st.From) == echo3 && (st.Type == "unavailable" || strings.Contains(st.XML, "one here"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Type == "unavailable" {
		t.Fatalf("one resource went offline, another is online: the network was told the user is offline")
	}

	// Her last resource leaves the gateway: she is offline on the network.
	raw(t, alice, `<presence type='unavailable' to='`+domain+`'/>`)
	nextPresence(t, alice, echo3, "unavailable", nil)
}

// TestCommandNodeInfo: disco#info on a command's node says what it is
// (XEP-0050 §2.4); a node that is no command of the user's is not found.
func TestCommandNodeInfo(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#info' node='status'/></iq>`)
	if err != nil || st.Type != "result" {
		t.Fatalf("disco#info on a command node: %v %s", err, st.XML)
	}
	for _, want := range []string{`category="automation"`, `type="command-node"`, `var="http://jabber.org/protocol/commands"`, `var="jabber:x:data"`} {
		if !strings.Contains(st.XML, want) {
			t.Errorf("disco#info on a command node without %s: %s", want, st.XML)
		}
	}
	for _, node := range []string{"admin-users", "nothing-such"} {
		st, err = alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#info' node='`+node+`'/></iq>`)
		if err != nil || st.Err == nil || st.Err.Condition != "item-not-found" {
			t.Errorf("disco#info on node %s: want item-not-found, got %v %s", node, err, st.XML)
		}
	}
}

// TestContactVCardSet: a contact's vCard is the network's: setting it is
// not allowed (XEP-0054 §3.2), while reading it works.
func TestContactVCardSet(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	st, err := alice.IQ(ctxT(t), `<iq type='set' to='echo-1@`+domain+`'><vCard xmlns='vcard-temp'><FN>Mine now</FN></vCard></iq>`)
	if err != nil || st.Err == nil || st.Err.Condition != "not-allowed" {
		t.Errorf("vCard set on a contact: want not-allowed, got %v %s", err, st.XML)
	}
	st, err = alice.IQ(ctxT(t), `<iq type='get' to='echo-1@`+domain+`'><vCard xmlns='vcard-temp'/></iq>`)
	if err != nil || st.Type != "result" {
		t.Errorf("vCard get on a contact: %v %s", err, st.XML)
	}
}

// TestSubscribeNotAllowed: a user outside access.allow who adds the
// gateway or a contact is refused with unsubscribed, not left with a
// request pending forever.
func TestSubscribeNotAllowed(t *testing.T) {
	s := newStack(t, stackOptions{allow: `"alice@localhost"`})
	mallory := s.user("mallory")
	s.waitGateway(mallory)
	roster(t, mallory) // an interested resource: it gets the answers
	for _, j := range []string{domain, "carol@" + domain} {
		raw(t, mallory, `<presence type='subscribe' to='`+j+`'/>`)
		if p := nextAnswer(t, mallory, j); p.Type != "unsubscribed" {
			t.Errorf("subscription of a user not allowed to %s: %s", j, p.XML)
		}
	}
}
