package bridge_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestLoginDuringPluginReload: a user who logs in again (registers
// again, XEP-0077) while the
// restarted plugin still loads the stored logins (testdata/slowload,
// whose reload waits on purpose) waits for the reload, and the plugin
// finds their stored login: the login keeps its ID. The login reached
// the plugin before the reload had loaded it, which (as IRC's plugin
// does) made it a new account, and the gateway logged the stored one
// out, its chats with it.
func TestLoginDuringPluginReload(t *testing.T) {
	bin := filepath.Join(filepath.Dir(echoBin), "slowload")
	build := exec.Command("go", "build", "-o", bin, "passerelle.im/passerelle/bridge/testdata/slowload")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the slowload plugin: %v\n%s", err, out)
	}
	// The reload waits 3 s unless a login form is submitted meanwhile:
	// shorter than the wait for the plugin of a login command (5 s).
	s := newStack(t, stackOptions{plugin: bin, extra: "[transport.config]\nload_wait = \"3s\"\n"})
	alice := s.user("alice")
	s.waitGateway(alice)
	first := nameLogin(t, s, alice, 1)

	s.killPlugin()
	// The next process loads the stored login: slowly.
	waitLogCount(t, s, "slowload: loading login "+first, 2)
	if second := nameLogin(t, s, alice, 2); second != first {
		t.Fatalf("the login during the reload became %q, a new account in place of the stored %q", second, first)
	}
}

var loggedInRe = regexp.MustCompile(`msg="user logged in" .*login=(\S+)`)

// nameLogin logs c in under the name "alice" by registering with the
// gateway (XEP-0077, which a registered user may do again: a client's
// "modify registration") and returns the login ID it got, the n-th login
// the gateway logged.
func nameLogin(t *testing.T, s *stack, c *xmpptest.Client, n int) string {
	t.Helper()
	if st := register(t, c, "alice"); st.Type != "result" {
		t.Fatalf("register: %s", st.XML)
	}
	m := loggedInRe.FindAllStringSubmatch(s.logs.String(), -1)
	if len(m) < n {
		t.Fatalf("%d logins in the log, want %d", len(m), n)
	}
	return m[n-1][1]
}

// waitLogCount waits until the stack's log holds what n times.
func waitLogCount(t *testing.T, s *stack, what string, n int) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for strings.Count(s.logs.String(), what) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%q not %d times in the log", what, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
