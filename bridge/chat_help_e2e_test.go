package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestChatHelpListsUsable: the gateway chat's help lists the commands
// this user can use now: before a login, login and status, not logout,
// relogin, sync, unregister, cancel or a network's chat commands (each
// could only fail); with a login, those and not login; after a logout,
// unregister; the admin commands to an administrator only. It listed every
// command to everyone.
func TestChatHelpListsUsable(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	help := func(c *xmpptest.Client) string {
		t.Helper()
		sendChat(t, c, domain, "help")
		for {
			m := nextMessage(t, c, domain, timeout)
			if strings.Contains(m.Body, "Send one of") {
				return m.Body
			}
		}
	}
	has := func(body, cmd string) bool { return strings.Contains(body, "\n  "+cmd+" ") }
	check := func(when, body string, want, not []string) {
		t.Helper()
		for _, c := range want {
			if !has(body, c) {
				t.Errorf("%s: the help lacks %s:\n%s", when, c, body)
			}
		}
		for _, c := range not {
			if has(body, c) {
				t.Errorf("%s: the help lists %s:\n%s", when, c, body)
			}
		}
		if strings.Contains(body, "admin-users") {
			t.Errorf("%s: the help lists the admin commands to a user:\n%s", when, body)
		}
	}

	check("before a login", help(alice), []string{"login", "status", "help"},
		[]string{"logout", "relogin", "sync", "unregister", "cancel", "/timer", "/poll", "/pin"})

	if r := register(t, alice, "alice"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	check("logged in", help(alice), []string{"logout", "unregister", "relogin", "status", "sync", "help", "/timer"},
		[]string{"login", "cancel"})

	sendChat(t, alice, domain, "logout")
	for m := nextMessage(t, alice, domain, timeout); !strings.Contains(m.Body, "logged out"); m = nextMessage(t, alice, domain, timeout) {
	}
	check("after a logout", help(alice), []string{"login", "unregister", "status"},
		[]string{"logout", "relogin", "sync", "cancel"})

	admin := s.user("admin")
	s.waitGateway(admin)
	if body := help(admin); !strings.Contains(body, "admin-users") {
		t.Errorf("an administrator's help lacks the admin commands:\n%s", body)
	}
}
