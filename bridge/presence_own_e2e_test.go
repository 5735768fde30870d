package bridge_test

import (
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/internal/xmpptest"
)

// seenByGateway has alice let the gateway see her presence, and waits
// until her server told it she is online.
func seenByGateway(t *testing.T, s *stack, alice *xmpptest.Client) {
	t.Helper()
	raw(t, alice, `<presence type='subscribed' to='`+domain+`'/>`)
	s.logs.waitLog(t, `msg="user availability" transport=echo user=alice@localhost from=unknown to=online`, timeout)
}

// TestDirectedPresenceNotAvailability: a presence the user sends to one
// contact only (RFC 6121 §4.6, directed) is no availability on the
// network: a client that shows itself to one contact does not keep the
// user online there once her last broadcasting resource has gone.
func TestDirectedPresenceNotAvailability(t *testing.T) {
	s, alice := privilegedAlice(t)
	seenByGateway(t, s, alice)
	echo1, echo3 := "echo-1@"+domain, "echo-3@"+domain

	// A client that sent no broadcast presence shows itself to echo-1.
	quiet, err := xmpptest.Dial(ctxT(t), s.srv.C2SAddr(), jid.MustParse("alice@localhost/quiet"), "pw-alice")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { quiet.Close() })
	raw(t, quiet, `<presence to='`+echo1+`'><status>only to you</status></presence>`)
	// Behind the presence in its chat: once answered, the gateway has it.
	if st, err := quiet.IQ(ctxT(t), `<iq type='get' to='`+echo1+`'><ping xmlns='urn:xmpp:ping'/></iq>`); err != nil || st.Type != "result" {
		t.Fatalf("ping: %v %s", err, st.XML)
	}

	// Her only broadcasting resource leaves the gateway: she is offline
	// on the network (Echo Three mirrors it).
	raw(t, alice, `<presence type='unavailable' to='`+domain+`'/>`)
	nextPresence(t, alice, echo3, "unavailable", nil)
}

// TestRemainingResourcePresence: when one of two resources goes
// offline, the network shows what the other last said (its show and
// status), not what the one that left said.
func TestRemainingResourcePresence(t *testing.T) {
	s, alice := privilegedAlice(t)
	seenByGateway(t, s, alice)
	echo3 := "echo-3@" + domain
	// Her server probes her contacts when two comes online; the answer
	// tells Echo Three's presence of then, before what follows.
	probe := `kind=presence type=probe from=alice@localhost/two to=` + echo3
	probes := s.logs.Count(probe)
	two := s.loginResource("alice", "two")
	for deadline := time.Now().Add(timeout); s.logs.Count(probe) == probes; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("two's login did not probe Echo Three")
		}
	}

	raw(t, alice, `<presence><show>dnd</show><status>one here</status></presence>`)
	nextPresence(t, alice, echo3, "", has("one here"))
	raw(t, two, `<presence><status>two here</status></presence>`)
	nextPresence(t, alice, echo3, "", has("two here"))

	two.Close()
	st := nextPresence(t, alice, echo3, "", has("one here"))
	if !strings.Contains(st.XML, "<show>dnd</show>") {
		t.Errorf("the remaining resource's show did not reach the network: %s", st.XML)
	}
}

// TestHigherPriorityResourceShown: the network shows the presence of
// the resource of the highest priority (RFC 6121 §4.7.2.3), not merely
// the latest: a lower one's change shows once the higher one has gone.
func TestHigherPriorityResourceShown(t *testing.T) {
	s, alice := privilegedAlice(t)
	seenByGateway(t, s, alice)
	echo3 := "echo-3@" + domain
	two := s.loginResource("alice", "two")
	raw(t, two, `<presence><status>two here</status><priority>1</priority></presence>`)
	nextPresence(t, alice, echo3, "", has("two here"))

	// Below two's priority: not shown. Her server sent it to the
	// gateway in the same go as to two.
	raw(t, alice, `<presence><show>dnd</show><status>one here</status></presence>`)
	nextPresence(t, two, "alice@localhost", "", has("one here"))
	raw(t, two, `<presence><status>still two</status><priority>1</priority></presence>`)
	st := nextPresence(t, alice, echo3, "", func(st xmpptest.Stanza) bool {
		return strings.Contains(st.XML, "still two") || strings.Contains(st.XML, "one here")
	})
	if !strings.Contains(st.XML, "still two") {
		t.Fatalf("a resource of a lower priority reached the network: %s", st.XML)
	}
	two.Close()
	nextPresence(t, alice, echo3, "", has("one here"))
}

// TestAvailabilityToldAgainAfterRestart: a network connected afresh (the
// plugin restarted, a reconnection) is told the user's presence as it
// stands, not left at its own default until the user's next change: the
// fresh plugin, and the login connected again after the network stopped
// it, take dnd again. Before, the reconnected login stayed at its
// default (the restarted plugin is told by the probe of the user too).
//
// (Echo Three mirrors what the network is told, but whether the user
// sees it change depends on an order: the fresh plugin's contact list,
// at its default, before or after the presence it is told; told first,
// Echo Three stays dnd throughout and nothing new is shown. So the test
// reads the gateway's record of the plugin's answer.)
func TestAvailabilityToldAgainAfterRestart(t *testing.T) {
	s, alice := privilegedAlice(t)
	seenByGateway(t, s, alice)
	echo3 := "echo-3@" + domain
	isDND := func(st xmpptest.Stanza) bool { return strings.Contains(st.XML, "<show>dnd</show>") }
	raw(t, alice, `<presence><show>dnd</show><status>in a meeting</status></presence>`)
	nextPresence(t, alice, echo3, "", isDND)
	told := `msg="presence told to the network" transport=echo user=alice@localhost login=alice show=PRESENCE_SHOW_DND`
	before := s.logs.Count(told)
	s.killPlugin()
	for deadline := time.Now().Add(timeout); s.logs.Count(told) == before; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the restarted plugin was never told the user's dnd")
		}
	}
	// A reconnection of the login alone (the network stopped it; the
	// user logs in again): the plugin is told again too.
	before = s.logs.Count(told)
	sendChat(t, alice, "bob@"+domain, "stop")
	s.logs.waitLog(t, "state=LOGIN_STATE_STOPPED", timeout)
	sendChat(t, alice, domain, "relogin")
	for deadline := time.Now().Add(timeout); s.logs.Count(told) == before; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the login connected again was never told the user's dnd")
		}
	}
}
