package bridge_test

import (
	"strings"
	"testing"
)

// TestRoomInfoHidden: a room's disco#info says it is hidden
// (muc_hidden), one of the pair XEP-0045 §6.4 has a room name
// (muc_hidden or muc_public), as it names the other pairs: the room is
// the user's view of their group, listed to them alone, found by nobody
// else (as slidge says of its groups). Gajim shows the room's kind from
// it; neither was said.
func TestRoomInfoHidden(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || info.Type != "result" {
		t.Fatalf("room disco#info: %v %s", err, info.XML)
	}
	if !strings.Contains(info.XML, `<feature var="muc_hidden"/>`) || strings.Contains(info.XML, `"muc_public"`) {
		t.Fatalf("room disco#info: want muc_hidden, not muc_public: %s", info.XML)
	}
}
