package bridge_test

import (
	"strings"
	"testing"
	"time"
)

// TestLogoutAtStopFinished: a logout under way when the gateway stops
// (the plugin not answering its Logout yet) is finished: the network's
// logout is owed and told at the next start, the login's folder kept
// until then, and the user's roster loses the contacts and gets the
// gateway's unavailable presence before the link closes. Cut by the
// stop's cancelled context, the login went with its folder and no
// logout owed (the network never heard of it), and the roster kept the
// contacts.
func TestLogoutAtStopFinished(t *testing.T) {
	s := newStack(t, stackOptions{privileged: true})
	s.logs.waitLog(t, "privileges granted by the server", timeout)
	alice := registered(t, s, "alice")
	waitRoster(t, alice, "held the echo contacts", func(r map[string]rosterItem) bool {
		_, one := r["echo-1@"+domain]
		return one
	})
	echoOK(t, alice, "hello", timeout)
	folder, _ := one(s.waitFolders("one with the plugin's file", func(got map[string]bool) bool { _, ok := one(got); return ok }))

	s.holdPlugin()
	sendChat(t, alice, domain, "logout")
	s.logs.waitLog(t, "kind=message type=chat from="+alice.JID().String()+" to="+domain, timeout)
	// The handler reaches the plugin's Logout, which waits: the plugin
	// is held. The stop comes once the logout is under way.
	s.logs.waitLog(t, "network logout under way", timeout)
	s.stop()

	waitRoster(t, alice, "lost the contacts", func(r map[string]rosterItem) bool {
		for jid := range r {
			if strings.HasSuffix(jid, "@"+domain) {
				return false
			}
		}
		return true
	})
	nextPresence(t, alice, domain, "unavailable", nil)
	if got := s.loginFolders(); !got[folder] {
		t.Fatalf("folders %v: the login's folder went before the network heard of the logout", got)
	}

	s.start()
	s.logs.waitLog(t, "owed logout told to the network", 60*time.Second)
	s.waitFolders("none once the logout is told", func(got map[string]bool) bool { return len(got) == 0 })
	sendChat(t, alice, domain, "status")
	if m := nextMessage(t, alice, domain, timeout); !strings.Contains(m.Body, "not logged in") {
		t.Errorf("status after the restart: %s", m.Body)
	}
}
