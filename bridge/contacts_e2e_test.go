package bridge_test

import (
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// rosterPushes counts the roster pushes for item that c has received and
// not consumed.
func rosterPushes(c *xmpptest.Client, item string) int {
	n := 0
	for _, st := range c.Pending() {
		if st.Name == "iq" && st.Type == "set" && strings.Contains(st.XML, "jabber:iq:roster") && strings.Contains(st.XML, `jid="`+item+`"`) {
			n++
		}
	}
	return n
}

// presences counts the available presences from from that c has received
// and not consumed.
func presences(c *xmpptest.Client, from string) int {
	n := 0
	for _, st := range c.Pending() {
		if st.Name == "presence" && st.Type == "" && bareJID(st.From) == from {
			n++
		}
	}
	return n
}

// TestContactSyncOnRestart: at each start the gateway's contact sync
// brings the puppets and the roster in line with the network's contact
// list, and touches only what differs. Here the network (the echo plugin,
// restarted with the gateway) has forgotten a rename, a removal and an
// added contact: the sync renames echo-1 back, adds echo-3 again and
// removes zed, with one roster push each and none for echo-2, which did
// not change; a second restart changes nothing and pushes nothing.
func TestContactSyncOnRestart(t *testing.T) {
	s, alice := privilegedAlice(t)
	waitRoster(t, alice, "held the three echo contacts", func(r map[string]rosterItem) bool {
		return len(r) == 3 && r["echo-1@"+domain].Name == "Echo One"
	})

	// Changes the restarted plugin will not remember.
	echoOK(t, alice, "rename 1 Uno", timeout)
	sendChat(t, alice, "echo-3@"+domain, "leave 3")
	if err := alice.SendRaw(ctxT(t), `<presence type='subscribe' to='zed@`+domain+`'/>`); err != nil {
		t.Fatal(err)
	}
	nextPresence(t, alice, "zed@"+domain, "subscribed", nil)
	waitRoster(t, alice, "showed the rename, the removal and zed", func(r map[string]rosterItem) bool {
		_, three := r["echo-3@"+domain]
		_, zed := r["zed@"+domain]
		return r["echo-1@"+domain].Name == "Uno" && !three && zed
	})

	before := map[string]int{}
	for _, id := range []string{"echo-1", "echo-2", "echo-3", "zed"} {
		before[id] = rosterPushes(alice, id+"@"+domain)
	}
	s.stop()
	s.start()
	s.logs.waitLog(t, "contacts=3 added=1 changed=1 removed=1", timeout)
	waitRoster(t, alice, "back to the network's three contacts", func(r map[string]rosterItem) bool {
		_, zed := r["zed@"+domain]
		return len(r) == 3 && r["echo-1@"+domain].Name == "Echo One" && r["echo-3@"+domain].Name == "Echo Three" && !zed
	})
	// The gateway forgot every presence: it shows them again.
	nextPresence(t, alice, "echo-2@"+domain, "", nil)
	for id, want := range map[string]int{"echo-1": 1, "echo-2": 0, "echo-3": 1, "zed": 1} {
		if got := rosterPushes(alice, id+"@"+domain) - before[id]; got != want {
			t.Errorf("%d roster pushes for %s after the restart, want %d", got, id, want)
		}
	}

	// Nothing changed: nothing is written, nothing pushed.
	for id := range before {
		before[id] = rosterPushes(alice, id+"@"+domain)
	}
	s.stop()
	s.start()
	s.logs.waitLog(t, "contacts=3 added=0 changed=0 removed=0", timeout)
	echoOK(t, alice, "still here", timeout)
	for id := range before {
		if got := rosterPushes(alice, id+"@"+domain) - before[id]; got != 0 {
			t.Errorf("%d roster pushes for %s after a restart with no change", got, id)
		}
	}
	if r := roster(t, alice); len(r) != 3 {
		t.Errorf("roster after the second restart: %v", r)
	}
}

// TestContactSyncAfterPluginCrash: when the plugin restarts (the gateway
// does not), the contact sync shows the user no presence it has already
// shown: a login with thousands of contacts does not flood the server.
func TestContactSyncAfterPluginCrash(t *testing.T) {
	s, alice := privilegedAlice(t)
	// echo-1's presence, last sent with its avatar's hash once fetched.
	// (echo-3 mirrors alice's own presence: no good here.)
	nextPresence(t, alice, "echo-1@"+domain, "", has("vcard-temp:x:update"))
	echoOK(t, alice, "before", timeout)
	time.Sleep(200 * time.Millisecond)
	before := presences(alice, "echo-1@"+domain)

	s.killPlugin()
	deadline := time.Now().Add(timeout)
	for s.logs.Count(`msg="contacts synced"`) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no contact sync after the plugin restarted")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s.logs.Count("contacts=3 added=0 changed=0 removed=0") != 1 {
		t.Errorf("the sync after the crash changed contacts")
	}
	// Anything the sync sent reaches alice before this echo.
	echoOK(t, alice, "after the crash", timeout)
	if n := presences(alice, "echo-1@"+domain) - before; n != 0 {
		t.Errorf("echo-1's unchanged presence shown %d more times after the plugin restarted", n)
	}
}

// privilegedAlice starts a stack whose gateway has roster permission and
// registers alice, waiting until her three echo contacts are synced.
func privilegedAlice(t *testing.T) (*stack, *xmpptest.Client) {
	t.Helper()
	s := newStack(t, stackOptions{privileged: true})
	alice := s.user("alice")
	s.waitGateway(alice)
	s.logs.waitLog(t, "privileges granted by the server", timeout)
	if r := register(t, alice, "alice"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	s.logs.waitLog(t, "contacts=3 added=3 changed=0 removed=0", timeout)
	return s, alice
}

// TestPresenceOnlyToOnlineUsers: contacts' presence goes only to users who
// may be online. Once alice lets the gateway see her presence (XEP-0100:
// it asks at login), each start of the gateway probes her: online, she is
// shown her contacts' presence after the answer; offline, nothing is sent
// for her, and when she comes back her server's probes are answered.
func TestPresenceOnlyToOnlineUsers(t *testing.T) {
	s, alice := privilegedAlice(t)
	if err := alice.SendRaw(ctxT(t), `<presence type='subscribed' to='`+domain+`'/>`); err != nil {
		t.Fatal(err)
	}
	// Approving makes her server send the gateway her presence.
	s.logs.waitLog(t, `msg="user availability" transport=echo user=alice@localhost from=unknown to=online`, timeout)

	// Online across a restart: the probe's answer releases the presences
	// held during the sync.
	s.stop()
	s.start()
	s.logs.waitLog(t, "from=probing to=online because=\"\"", timeout)
	nextPresence(t, alice, "echo-2@"+domain, "", nil)

	// Offline across a restart: the probe says so and nothing is sent.
	alice.Close()
	s.stop()
	s.start()
	s.logs.waitLog(t, "from=probing to=offline because=unavailable", timeout)
	deadline := time.Now().Add(timeout)
	for s.logs.Count(`msg="contacts synced"`) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("no contact sync after the third start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	logs := s.logs.String()
	last := logs[strings.LastIndex(logs, `msg="contacts synced"`):]
	last = last[:strings.IndexByte(last, '\n')]
	if !strings.Contains(last, "presences_shown=0 ") || strings.Contains(last, "presences_held=0 ") {
		t.Errorf("with alice offline, the sync showed presences: %s", last)
	}

	// Back online: her server probes her contacts and the gateway answers
	// with the presence it kept.
	alice2 := s.login("alice")
	nextPresence(t, alice2, "echo-2@"+domain, "", nil)
	s.logs.waitLog(t, "from=offline to=online", timeout)
	echoOK(t, alice2, "still bridged", timeout)
}
