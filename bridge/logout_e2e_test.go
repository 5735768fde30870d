package bridge_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLogoutOwedWhilePluginDown: a user leaves while the plugin cannot
// start. The login goes at once, as the user asked, but its folder stays
// until the plugin is back; the network then hears of the logout, with
// the folder at hand (a real library's keys are there), and the folder
// goes. Before, the logout was dropped and the folder removed, so a
// WhatsApp or Signal device stayed linked on the network for good.
func TestLogoutOwedWhilePluginDown(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "echo-plugin")
	exe, err := os.ReadFile(echoBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	s := newStack(t, stackOptions{plugin: bin})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "hello", timeout)
	folder, _ := one(s.waitFolders("one with the plugin's file", func(got map[string]bool) bool { _, ok := one(got); return ok }))

	// The plugin dies and cannot start again (a binary that exits at once).
	if err := os.Rename(bin, bin+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.killPlugin()
	s.logs.waitLog(t, "transport plugin stopped", timeout)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := alice.IQ(ctx, `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><remove/></query></iq>`)
	if err != nil || st.Type != "result" {
		t.Fatalf("unregister with the plugin down: %v %s", err, st.XML)
	}
	s.logs.waitLog(t, "its network logout owed until the plugin is back", timeout)
	if got := s.loginFolders(); !got[folder] {
		t.Fatalf("folders %v: the owed logout's folder %s went before the plugin heard of it", got, folder)
	}
	if s.logs.Count("echo: account logged out") != 0 {
		t.Fatal("a logout reached a plugin that was down")
	}

	// A gateway restart (the plugin still down) keeps what is owed, and
	// the folder.
	s.stop()
	s.start()
	if got := s.loginFolders(); !got[folder] {
		t.Fatalf("folders %v after a restart: %s swept", got, folder)
	}

	// The plugin is back: the logout reaches it, with its folder.
	if err := os.Rename(bin+".away", bin); err != nil {
		t.Fatal(err)
	}
	s.logs.waitLog(t, "owed logout told to the network", 60*time.Second)
	if n := s.logs.Count("with_folder=true"); n != 1 {
		t.Fatalf("the plugin's logout saw its folder %d times, want once:\n%s", n, s.logs)
	}
	s.waitFolders("none once the logout is told", func(got map[string]bool) bool { return len(got) == 0 })

	// Told once: a further start of the plugin owes nothing.
	s.killPlugin()
	s.logs.waitLog(t, "transport plugin stopped", timeout)
	s.waitGateway(alice)
	if n := s.logs.Count("echo: account logged out"); n != 1 {
		t.Fatalf("logged out %d times, want once", n)
	}
}
