package bridge_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomRightAfterStart: right after the gateway starts, before its
// plugin runs with the logins connected, a client's rejoin and message
// to its room wait for the plugin, as a one-to-one message does, instead
// of being told the group does not exist (item-not-found, which a client
// takes for a room gone). Found by TestChaos.
func TestRoomRightAfterStart(t *testing.T) {
	// The echo plugin, two seconds slow to start: the window is wide.
	slow := filepath.Join(t.TempDir(), "slow-echo")
	if err := os.WriteFile(slow, []byte("#!/bin/sh\nsleep 2\nexec "+echoBin+" \"$@\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	s := newStack(t, stackOptions{plugin: slow})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	s.stop()
	s.start()
	s.waitGateway(alice) // the link is up; the plugin is still starting
	raw(t, alice, `<presence to='`+room+`/a'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`)
	groupchat(t, alice, "right after the start")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := alice.Next(ctx, func(st xmpptest.Stanza) bool {
		return bareJID(st.From) == room && (st.Type == "error" || st.Body == "right after the start" && nick(st.From) == "Echo One")
	})
	if err != nil {
		t.Fatalf("no repeat of the message from Echo One: %v", err)
	}
	if st.Type == "error" {
		t.Fatalf("right after the start the room answered %s", st.XML)
	}
}
