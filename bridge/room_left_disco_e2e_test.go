package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestLeftRoomDiscoInfo: disco#info on the room of a group the user left
// answers as a room (conference identity, the muc feature), so that a
// client that looks before it joins (Gajim, Conversations, Dino) goes on
// to the join, whose refusal says the user left. It answered as a
// contact's address: Gajim said "not a group chat" and offered a
// one-to-one chat with the group's ID. So after a restart, from the
// stored groups left.
func TestLeftRoomDiscoInfo(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	groupchat(t, alice, "/leave")
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && st.Type == "unavailable" && st.From == room+"/"+self
	}); err != nil {
		t.Fatalf("not left: %v", err)
	}
	check := func(when string) {
		t.Helper()
		info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
		if err != nil || info.Type != "result" || !strings.Contains(info.XML, `category="conference"`) ||
			!strings.Contains(info.XML, `<feature var="http://jabber.org/protocol/muc"/>`) || strings.Contains(info.XML, `category="client"`) {
			t.Fatalf("%s: disco#info of the group left: want a room's: %v %s", when, err, info.XML)
		}
		if err := alice.SendRaw(ctxT(t), `<presence to='`+room+`/a'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
			t.Fatal(err)
		}
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.Type == "error" })
		if err != nil || st.Err.Condition != "registration-required" || !strings.Contains(st.XML, "you left this group") {
			t.Fatalf("%s: the join after it: %v %s", when, err, st.XML)
		}
	}
	check("after the leave")
	synced := s.logs.Count(`msg="contacts synced"`)
	s.stop()
	s.start()
	s.waitGateway(alice)
	waitLogCount(t, s, `msg="contacts synced"`, synced+1)
	check("after a restart")
}
