package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomLeftKeptAcrossRestart: a group the user left is still refused
// as one left (registration-required, XEP-0045 §7.2.5, saying so) after
// a restart of the gateway: the network, which keeps the leave (the
// echo plugin's group-left file), just knows no such group of the
// user's. Before, the groups left were kept in memory only, and the
// join after a restart was item-not-found: a room that does not exist.
func TestRoomLeftKeptAcrossRestart(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	groupchat(t, alice, "/leave")
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && st.Type == "unavailable" && st.From == room+"/"+self
	}); err != nil {
		t.Fatalf("leaving the group: %v", err)
	}
	synced := s.logs.Count(`msg="contacts synced"`)
	s.stop()
	s.start()
	s.waitGateway(alice)
	// The login back (not a join before it, refused for want of one).
	waitLogCount(t, s, `msg="contacts synced"`, synced+1)
	raw(t, alice, `<presence to='`+room+`/a'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.Type == "error" })
	if err != nil || st.Err.Condition != "registration-required" || !strings.Contains(st.XML, "you left this group") {
		t.Fatalf("joining a group left, after a restart: want registration-required saying you left it, got %v %s", err, st.XML)
	}
}
