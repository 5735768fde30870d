package bridge_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/store"
)

// loginFolders lists the login folders of the echo transport, each with
// whether the echo network's file is in it.
func (s *stack) loginFolders() map[string]bool {
	s.t.Helper()
	dir := filepath.Join(s.dir, "data", "plugins", "echo", "logins")
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		s.t.Fatal(err)
	}
	got := map[string]bool{}
	for _, e := range entries {
		_, err := os.Stat(filepath.Join(dir, e.Name(), echo.AccountFile))
		got[e.Name()] = e.IsDir() && err == nil
	}
	return got
}

// waitFolders waits until the login folders satisfy ok.
func (s *stack) waitFolders(what string, ok func(map[string]bool) bool) map[string]bool {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := s.loginFolders()
		if ok(got) {
			return got
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("login folders %v: not %s", got, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// one is the only login folder, with the echo network's file.
func one(got map[string]bool) (string, bool) {
	for name, file := range got {
		return name, len(got) == 1 && file
	}
	return "", false
}

// TestLoginFolders: a login has its own folder under the transport's
// data folder, where the plugin keeps its files, from the login on and
// across restarts; a login stored before contract v2 gets one on its
// first start; a new account replacing the old takes the old folder and
// contacts away; unregistering removes the folder.
func TestLoginFolders(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	first := s.waitFolders("one with the plugin's file", func(got map[string]bool) bool { _, ok := one(got); return ok })
	name, _ := one(first)
	if !strings.HasPrefix(name, "alice.localhost-") {
		t.Errorf("folder %q: want one named after the user", name)
	}
	echoOK(t, alice, "hello", timeout)

	// A restart keeps it.
	s.stop()
	s.start()
	s.waitGateway(alice)
	echoOK(t, alice, "after the restart", timeout)
	if got, _ := one(s.loginFolders()); got != name {
		t.Fatalf("after a restart: %v, want %s only", s.loginFolders(), name)
	}

	// A login stored before v2 has no folder: it gets one at start, and
	// the folder no login names any more goes.
	s.stop()
	db, err := store.Open(filepath.Join(s.dir, "data", "passerelle.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetDataDir(context.Background(), "echo", "alice@localhost", ""); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s.start()
	s.waitGateway(alice)
	echoOK(t, alice, "with a new folder", timeout)
	got := s.waitFolders("a new one in place of "+name, func(got map[string]bool) bool {
		n, ok := one(got)
		return ok && n != name
	})
	name, _ = one(got)
	s.stop()
	db, err = store.Open(filepath.Join(s.dir, "data", "passerelle.db"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := db.GetLogin("echo", "alice@localhost")
	db.Close()
	if err != nil || l.DataDir != name {
		t.Fatalf("stored login %+v, %v: want folder %s", l, err, name)
	}
	s.start()
	s.waitGateway(alice)
	echoOK(t, alice, "connected again", timeout)

	// Another account replaces this one, once the network logged it
	// out (while it is live, a registration of another is refused):
	// its folder and its contacts go. zed is a contact of this account
	// only, in alice's roster. (An interested resource gets the
	// subscription presences.)
	roster(t, alice)
	raw(t, alice, `<presence type='subscribe' to='zed@`+domain+`'/>`)
	nextPresence(t, alice, "zed@"+domain, "subscribed", nil)
	sendChat(t, alice, "bob@"+domain, "kick")
	s.logs.waitLog(t, "state=LOGIN_STATE_LOGGED_OUT", timeout)
	if r := register(t, alice, "alice-other"); r.Type != "result" {
		t.Fatalf("register another account: %s", r.XML)
	}
	nextPresence(t, alice, "zed@"+domain, "unsubscribed", nil)
	got = s.waitFolders("the new account's only", func(got map[string]bool) bool {
		n, ok := one(got)
		return ok && n != name
	})
	name, _ = one(got)
	echoOK(t, alice, "from the other account", timeout)

	// Logging in to the same account again: the login moves to the new
	// process's folder, where the plugin's new session keeps its files.
	if r := register(t, alice, "alice-other"); r.Type != "result" {
		t.Fatalf("register the same account again: %s", r.XML)
	}
	s.waitFolders("the same account's new one", func(got map[string]bool) bool {
		n, ok := one(got)
		return ok && n != name
	})
	echoOK(t, alice, "logged in again", timeout)

	st, err := alice.IQ(ctxT(t), `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><remove/></query></iq>`)
	if err != nil || st.Type != "result" {
		t.Fatalf("unregister: %v %s", err, st.XML)
	}
	s.waitFolders("none after unregistering", func(got map[string]bool) bool { return len(got) == 0 })
}
