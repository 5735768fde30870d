package bridge_test

import (
	"strings"
	"testing"
	"time"
)

// TestRoomSyncAfterSlowConnect: a login whose network is still connecting
// when the gateway asks for its chat list (the echo network's "+slow"
// logins: CONNECTING, then CONNECTED half a second later) gets its rooms
// once it is connected. Before, the failed chat list was asked again
// only at the next connect of the gateway or the plugin, or a relogin:
// the login's groups had no rooms, and their events waited.
func TestRoomSyncAfterSlowConnect(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	if r := register(t, alice, "alice+slow"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	s.logs.waitLog(t, "chat list failed; groups not synced", timeout)
	deadline := time.Now().Add(timeout)
	for {
		items, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
		if err == nil && strings.Contains(items.XML, `jid="`+room+`"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the room never appeared once the login connected: %v %s", err, items.XML)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
