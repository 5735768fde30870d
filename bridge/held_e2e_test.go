package bridge_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHeldMessageSurvivesGatewayKill: a message the gateway holds while
// its plugin cannot start (its binary gone) is recorded; the gateway is
// killed (SIGKILL) while it holds it, and started again on the same store
// with the plugin back: the message reaches the network and its echo
// comes, once. XEP-0114 has no acknowledgement: without the record the
// server never sends it again.
func TestHeldMessageSurvivesGatewayKill(t *testing.T) {
	plugin := filepath.Join(t.TempDir(), "echo")
	raw, err := os.ReadFile(echoBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plugin, raw, 0o700); err != nil {
		t.Fatal(err)
	}
	s := newStack(t, stackOptions{process: true, plugin: plugin})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)

	// The plugin dies and cannot start again: what alice sends now waits.
	gone := plugin + ".gone"
	if err := os.Rename(plugin, gone); err != nil {
		t.Fatal(err)
	}
	s.killPlugin()
	s.logs.waitLog(t, `msg="transport plugin stopped; restarting"`, timeout)
	id := sendChat(t, alice, "bob@"+domain, "held")
	s.logs.waitLog(t, "id="+id+"\n", timeout)
	// With the record, the gateway logs it; without, the message is held
	// all the same (5 s): this wait is shorter.
	deadline := time.Now().Add(3 * time.Second)
	for !strings.Contains(s.logs.String(), `msg="message held for the plugin"`) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the gateway outlived SIGKILL for 30 s")
	}
	s.cancel = nil
	if err := os.Rename(gone, plugin); err != nil {
		t.Fatal(err)
	}
	s.start()

	// The echo of "before" may come again, with its id: the killed
	// gateway may not have seen the server confirm it (outbox).
	st := nextMessage(t, alice, "bob@"+domain, 30*time.Second)
	for st.Body == "before" && st.Type != "error" {
		st = nextMessage(t, alice, "bob@"+domain, 30*time.Second)
	}
	if st.Type == "error" || st.Body != "held" {
		t.Fatalf("after the restart: %s, want the echo of the held message", st.XML)
	}
	// Once: the next echo is of the next message.
	sendChat(t, alice, "bob@"+domain, "after")
	if st := nextMessage(t, alice, "bob@"+domain, 30*time.Second); st.Body != "after" {
		t.Fatalf("after the held message's echo: %s, want the echo of the next one", st.XML)
	}
}
