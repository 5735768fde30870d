package bridge_test

import (
	"time"

	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

var echoContacts = []string{"echo-1@" + domain, "echo-2@" + domain, "echo-3@" + domain}

// leaveWays are the ways a user leaves a transport: the logout and
// unregister commands, and XEP-0077's in-band <remove/>.
var leaveWays = []string{"logout", "unregister", "remove"}

func leave(t *testing.T, c *xmpptest.Client, way string) {
	t.Helper()
	if way == "remove" {
		st, err := c.IQ(ctxT(t), `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><remove/></query></iq>`)
		if err != nil || st.Type != "result" {
			t.Fatalf("remove: %v %s", err, st.XML)
		}
		return
	}
	if r, _ := command(t, c, way, "", "", nil); r.Command.Status != "completed" {
		t.Fatalf("%s: %s", way, r.XML)
	}
}

// nextOf waits for a presence of this type from each contact.
func nextOf(t *testing.T, c *xmpptest.Client, typ string, contacts []string) {
	t.Helper()
	for _, j := range contacts {
		nextPresence(t, c, j, typ, nil)
	}
}

// TestLeaveRetractsContactsPrivileged: with XEP-0356 roster permission,
// leaving the transport in any way takes every contact offline and out of
// the roster. (The contacts were deleted before the code that retracts
// them read them: they stayed, online, with subscription "both".)
func TestLeaveRetractsContactsPrivileged(t *testing.T) {
	for _, way := range leaveWays {
		t.Run(way, func(t *testing.T) {
			_, alice := privilegedAlice(t)
			waitRoster(t, alice, "held the three echo contacts in both directions", func(r map[string]rosterItem) bool {
				for _, j := range echoContacts {
					if r[j].Sub != "both" {
						return false
					}
				}
				return true
			})
			nextPresence(t, alice, "echo-2@"+domain, "", nil)
			leave(t, alice, way)
			nextOf(t, alice, "unavailable", echoContacts)
			waitRoster(t, alice, "lost the echo contacts", func(r map[string]rosterItem) bool {
				for j := range r {
					if strings.HasSuffix(j, "@"+domain) {
						return false
					}
				}
				return true
			})
		})
	}
}

// TestLeaveRetractsContactsFallback: without roster permission the
// contacts were added by subscription; leaving takes each offline and
// cancels the subscription both ways.
func TestLeaveRetractsContactsFallback(t *testing.T) {
	for _, way := range leaveWays {
		t.Run(way, func(t *testing.T) {
			s := newStack(t, stackOptions{})
			alice := registered(t, s, "alice")
			roster(t, alice) // an interested resource gets the subscription presences
			for _, j := range echoContacts {
				nextPresence(t, alice, j, "subscribe", nil)
				raw(t, alice, `<presence type='subscribed' to='`+j+`'/>`)
				raw(t, alice, `<presence type='subscribe' to='`+j+`'/>`)
				nextPresence(t, alice, j, "subscribed", nil)
			}
			waitRoster(t, alice, "held the three echo contacts in both directions", func(r map[string]rosterItem) bool {
				for _, j := range echoContacts {
					if r[j].Sub != "both" {
						return false
					}
				}
				return true
			})
			nextPresence(t, alice, "echo-2@"+domain, "", nil)
			leave(t, alice, way)
			nextOf(t, alice, "unavailable", echoContacts)
			nextOf(t, alice, "unsubscribe", echoContacts)
			nextOf(t, alice, "unsubscribed", echoContacts)
			waitRoster(t, alice, "cancelled the subscriptions", func(r map[string]rosterItem) bool {
				for _, j := range echoContacts {
					if it, ok := r[j]; ok && it.Sub != "none" {
						return false
					}
				}
				return true
			})
		})
	}
}

// TestPresenceOnceAfterLogin: after a login each contact's presence
// reaches the user once, with what it will keep (echo-1's avatar hash),
// not once per step of the sync (it came 2 or 3 times).
func TestPresenceOnceAfterLogin(t *testing.T) {
	for _, privileged := range []bool{true, false} {
		name := "fallback"
		if privileged {
			name = "privileged"
		}
		t.Run(name, func(t *testing.T) {
			s := newStack(t, stackOptions{privileged: privileged})
			alice := s.user("alice")
			s.waitGateway(alice)
			if privileged {
				s.logs.waitLog(t, "privileges granted by the server", timeout)
			}
			roster(t, alice)
			if r := register(t, alice, "alice"); r.Type != "result" {
				t.Fatalf("register: %s", r.XML)
			}
			s.logs.waitLog(t, "contacts=3 added=3", timeout)
			// She lets the gateway see her presence, as it asks (and
			// echo-3 mirrors it: the same presence it had).
			raw(t, alice, `<presence type='subscribed' to='`+domain+`'/>`)
			s.logs.waitLog(t, "gateway_sees_presence=true", timeout)
			// echo-1's avatar is fetched in the background: its
			// announcement comes once that is done.
			next2(t, alice, "echo-1@"+domain, "urn:xmpp:avatar:metadata")
			echoOK(t, alice, "sync done", timeout)
			time.Sleep(300 * time.Millisecond)
			for _, j := range echoContacts {
				if n := presences(alice, j); n != 1 {
					for _, p := range alice.Pending() {
						if p.Name == "presence" && bareJID(p.From) == j {
							t.Logf("%s", p.XML)
						}
					}
					t.Errorf("%s: %d presences after the login, want 1", j, n)
				}
			}
			// echo-1's one presence carries its avatar's hash.
			nextPresence(t, alice, "echo-1@"+domain, "", has("<photo>"))
		})
	}
}
