package bridge_test

import (
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/store"
)

// subscribedBothWays registers name's user on s's gateway and has the
// gateway in their roster both ways, as XEP-0100 leaves it: the gateway
// asks to see their presence, they approve and ask the same of it. An
// interested resource (its roster fetched) gets the subscription
// presences.
func subscribedBothWays(t *testing.T, s *stack, name string) *xmpptest.Client {
	t.Helper()
	c := s.user(name)
	s.waitGateway(c)
	roster(t, c)
	if r := register(t, c, name); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	nextPresence(t, c, domain, "subscribe", nil)
	raw(t, c, `<presence type='subscribed' to='`+domain+`'/>`)
	raw(t, c, `<presence type='subscribe' to='`+domain+`'/>`)
	nextPresence(t, c, domain, "subscribed", nil)
	waitRoster(t, c, "held the gateway in both directions", func(r map[string]rosterItem) bool {
		return r[domain].Sub == "both"
	})
	return c
}

// waitGatewayLeft waits for c's roster to hold the gateway no more, or
// with no subscription: unregistered, as XEP-0100 §4.3 says.
func waitGatewayLeft(t *testing.T, c *xmpptest.Client) {
	t.Helper()
	waitRoster(t, c, "cancelled the gateway's subscriptions", func(r map[string]rosterItem) bool {
		it, ok := r[domain]
		return !ok || it.Sub == "none"
	})
}

// TestUnregisterCancelsGatewaySubscription: unregistering, whichever
// way (the unregister command, the same in the gateway's chat, or
// XEP-0077's <remove/>), ends the user's relationship with the gateway
// as XEP-0100 §4.3 says: the gateway cancels the subscriptions both
// ways, so the user's roster no longer holds it as a contact. A logout
// keeps it, to log in again.
func TestUnregisterCancelsGatewaySubscription(t *testing.T) {
	for _, way := range []string{"unregister", "chat unregister", "remove", "logout"} {
		t.Run(way, func(t *testing.T) {
			s := newStack(t, stackOptions{})
			alice := subscribedBothWays(t, s, "alice")
			switch way {
			case "chat unregister":
				raw(t, alice, `<message type='chat' to='`+domain+`'><body>unregister</body></message>`)
				nextMessage(t, alice, domain, timeout)
			default:
				leave(t, alice, way)
			}
			if way == "logout" {
				// Kept: the answer of a ping behind the logout shows
				// nothing else came of it.
				echoGateway(t, alice)
				if sub := roster(t, alice)[domain].Sub; sub != "both" {
					t.Fatalf("a logout cancelled the gateway's subscription: %q", sub)
				}
				return
			}
			waitGatewayLeft(t, alice)
		})
	}
}

// echoGateway pings the gateway through the server: what it sent
// before the answer has reached the user's server.
func echoGateway(t *testing.T, c *xmpptest.Client) {
	t.Helper()
	if st, err := c.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><ping xmlns='urn:xmpp:ping'/></iq>`); err != nil || st.Type != "result" {
		t.Fatalf("ping: %v %s", err, st.XML)
	}
}

// TestRemoveNotAlone: a XEP-0077 <remove/> beside other registration
// fields is bad-request (§3.2: it must be the only child) and removes
// nothing: the request is not the unregistration it seems to be.
func TestRemoveNotAlone(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	st, err := alice.IQ(ctxT(t), `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><remove/><username>alice</username></query></iq>`)
	if err != nil || st.Type != "error" || st.Err == nil || st.Err.Condition != "bad-request" {
		t.Fatalf("<remove/> with <username/>: %v %s, want bad-request", err, st.XML)
	}
	st, err = alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='jabber:iq:register'/></iq>`)
	if err != nil || !strings.Contains(st.XML, "<registered") {
		t.Fatalf("after a refused <remove/>, still registered? %v %s", err, st.XML)
	}
}

// TestGatewayReaddedAsksBack: a user who removes the gateway from the
// roster (which ends its view of their presence) and adds it again is
// asked again to let it see their presence, as at the login, and the
// subscription ends mutual. Before, the gateway only approved: it stayed
// blind to the user's presence until the next login.
func TestGatewayReaddedAsksBack(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := subscribedBothWays(t, s, "alice")

	if st, err := alice.IQ(ctxT(t), `<iq type='set'><query xmlns='jabber:iq:roster'><item jid='`+domain+`' subscription='remove'/></query></iq>`); err != nil || st.Type != "result" {
		t.Fatalf("roster remove: %v %s", err, st.XML)
	}
	waitRoster(t, alice, "without the gateway", func(r map[string]rosterItem) bool { _, ok := r[domain]; return !ok })

	raw(t, alice, `<presence type='subscribe' to='`+domain+`'/>`)
	nextPresence(t, alice, domain, "subscribe", nil)
	raw(t, alice, `<presence type='subscribed' to='`+domain+`'/>`)
	waitRoster(t, alice, "held the gateway in both directions again", func(r map[string]rosterItem) bool { return r[domain].Sub == "both" })
}

// TestUnregisterAfterLogoutChatAndRemove: after a logout, which keeps
// the gateway in the user's roster, the chat command "unregister" and
// XEP-0077's <remove/> unregister the user as the ad-hoc command does
// (TestUnregisterCommandAfterLogout): the gateway cancels its
// subscriptions (XEP-0100 §4.3). The chat answered "not logged in" and
// <remove/> registration-required, and the gateway stayed. The chat's
// logout without a login answers as the ad-hoc one, in a sentence (it
// said "you are not logged in.").
func TestUnregisterAfterLogoutChatAndRemove(t *testing.T) {
	for _, way := range []string{"chat unregister", "remove"} {
		t.Run(way, func(t *testing.T) {
			s := newStack(t, stackOptions{})
			alice := subscribedBothWays(t, s, "alice")
			leave(t, alice, "logout")
			if way == "chat unregister" {
				// A logout without a login says so in a sentence, as
				// the ad-hoc command does.
				sendChat(t, alice, domain, "logout")
				if st := nextMessage(t, alice, domain, timeout); !strings.HasPrefix(st.Body, "You are not logged in to ") {
					t.Errorf("chat logout without a login answered %q, want a sentence saying so", st.Body)
				}
				sendChat(t, alice, domain, "unregister")
				if st := nextMessage(t, alice, domain, timeout); !strings.Contains(st.Body, "unregistered") {
					t.Errorf("chat unregister after a logout answered %q", st.Body)
				}
			} else {
				leave(t, alice, "remove")
			}
			waitGatewayLeft(t, alice)
		})
	}
}

// TestRemoveNotRegistered: XEP-0077's <remove/> from a user the gateway
// has nothing of (never registered, or unregistered already) is
// registration-required (§3.2), as the XEP has it; one who logged out
// (which keeps the gateway in the roster, to log in again) is still the
// gateway's to unregister, after a restart of the gateway too. Before,
// every <remove/> succeeded.
func TestRemoveNotRegistered(t *testing.T) {
	s := newStack(t, stackOptions{})
	remove := func(c *xmpptest.Client, who, want string) {
		t.Helper()
		st, err := c.IQ(ctxT(t), `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><remove/></query></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		got := st.Type
		if st.Err != nil {
			got = st.Err.Condition
		}
		if got != want {
			t.Fatalf("<remove/> %s: %s, want %s", who, st.XML, want)
		}
	}
	carol := s.user("carol")
	s.waitGateway(carol)
	remove(carol, "never registered", "registration-required")
	// A user who logged out before the gateway kept that record, on a
	// server that does not let it read rosters, is told how to have the
	// gateway leave their roster all the same.
	if st, err := carol.IQ(ctxT(t), `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><remove/></query></iq>`); err != nil || !strings.Contains(st.XML, "remove it there") {
		t.Errorf("<remove/> unregistered: %v %s, want the way out told", err, st.XML)
	}

	alice := subscribedBothWays(t, s, "alice")
	leave(t, alice, "remove")
	waitGatewayLeft(t, alice)
	remove(alice, "a second time", "registration-required")

	bob := subscribedBothWays(t, s, "bob")
	leave(t, bob, "logout")
	s.stop()
	s.start()
	s.waitGateway(bob)
	remove(bob, "after a logout and a restart", "result")
	waitGatewayLeft(t, bob)
	remove(bob, "after that", "registration-required")
}

// TestUnregisterCommandNotRegistered: the unregister command, ad-hoc or
// in the gateway's chat, from a user the gateway has nothing of (never
// registered) is a clear error and changes nothing: the gateway they
// added to their roster stays there. Both answered that the user was
// unregistered and cancelled the gateway's subscription.
func TestUnregisterCommandNotRegistered(t *testing.T) {
	s := newStack(t, stackOptions{})
	carol := s.user("carol")
	s.waitGateway(carol)
	roster(t, carol)
	raw(t, carol, `<presence type='subscribe' to='`+domain+`'/>`)
	nextPresence(t, carol, domain, "subscribed", nil)
	waitRoster(t, carol, "held the gateway", func(r map[string]rosterItem) bool { return r[domain].Sub == "to" })

	// Not listed to them (it can only fail), as logout is not; listed
	// after a logout, and with a login.
	listed := func(c *xmpptest.Client) bool {
		t.Helper()
		items, err := c.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>`)
		if err != nil || items.Type != "result" {
			t.Fatalf("command list: %v %s", err, items.XML)
		}
		return strings.Contains(items.XML, `node="unregister"`)
	}
	if listed(carol) {
		t.Errorf("unregister listed to a user never registered")
	}
	r, _ := command(t, carol, "unregister", "", "", nil)
	if n := r.Notes(); r.Command.Status != "completed" || !strings.HasPrefix(n, "error: You are not registered with ") {
		t.Errorf("unregister command, never registered: %s, want an error note saying so", r.XML)
	}
	sendChat(t, carol, domain, "unregister")
	if st := nextMessage(t, carol, domain, timeout); !strings.HasPrefix(st.Body, "You are not registered with ") {
		t.Errorf("chat unregister, never registered: %q, want a sentence saying so", st.Body)
	}
	echoGateway(t, carol)
	if sub := roster(t, carol)[domain].Sub; sub != "to" {
		t.Errorf("the gateway's subscription after refused unregisters: %q, want it kept (to)", sub)
	}

	alice := registered(t, s, "alice")
	if !listed(alice) {
		t.Errorf("unregister not listed to a user with a login")
	}
	leave(t, alice, "logout")
	if !listed(alice) {
		t.Errorf("unregister not listed after a logout, where it is how the gateway leaves the roster")
	}
}

// TestRemoveAfterLogoutUnrecorded: a user who logged out before the
// gateway kept a record of it (store/loggedout.go) still has the gateway
// in their roster, which it asked to see their presence at the login:
// where the server lets the gateway read rosters (XEP-0356), that is
// how it knows them, and <remove/> unregisters them (the gateway leaves
// their roster). It was registration-required. A user without that
// subscription is still registration-required.
func TestRemoveAfterLogoutUnrecorded(t *testing.T) {
	s := newStack(t, stackOptions{privileged: true})
	alice := subscribedBothWays(t, s, "alice")
	leave(t, alice, "logout")
	s.stop()
	// The logout as the gateway of before kept it: no record.
	db, err := store.Open(filepath.Join(s.dir, "data", "passerelle.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ForgetLoggedOut(ctxT(t), "echo", alice.JID().Bare().String()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s.start()
	s.waitGateway(alice)
	if sub := roster(t, alice)[domain].Sub; sub != "both" {
		t.Fatalf("after the logout the gateway's subscription is %q, want both", sub)
	}
	leave(t, alice, "remove")
	waitGatewayLeft(t, alice)

	carol := s.user("carol")
	s.waitGateway(carol)
	st, err := carol.IQ(ctxT(t), `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><remove/></query></iq>`)
	if err != nil || st.Err == nil || st.Err.Condition != "registration-required" {
		t.Fatalf("<remove/>, never registered, roster readable: %v %s, want registration-required", err, st.XML)
	}

	// Nor is one who only added the gateway (subscription to: it
	// approves anyone's), never registered: the gateway asks for the
	// user's presence at a login only. The gateway stays in the roster.
	dana := s.user("dana")
	s.waitGateway(dana)
	roster(t, dana)
	raw(t, dana, `<presence type='subscribe' to='`+domain+`'/>`)
	nextPresence(t, dana, domain, "subscribed", nil)
	waitRoster(t, dana, "held the gateway", func(r map[string]rosterItem) bool { return r[domain].Sub == "to" })
	st, err = dana.IQ(ctxT(t), `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><remove/></query></iq>`)
	if err != nil || st.Err == nil || st.Err.Condition != "registration-required" {
		t.Errorf("<remove/>, never registered, the gateway added by the user: %v %s, want registration-required", err, st.XML)
	}
	echoGateway(t, dana)
	if sub := roster(t, dana)[domain].Sub; sub != "to" {
		t.Errorf("the gateway's subscription after a refused <remove/>: %q, want it kept (to)", sub)
	}
}
