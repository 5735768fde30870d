package bridge

import (
	"strings"
	"testing"
)

// TestReservedNick: XEP-0045 §7.12: disco#info on the room's
// x-roomuser-item node tells the nick the network gives the user, as
// Converse.js asks before it joins; a join with it is not renamed (no
// status 210). Before, the node was answered item-not-found, where the
// XEP has a room without it answer feature-not-implemented, and the
// client joined with a nick of its own, renamed by the room.
func TestReservedNick(t *testing.T) {
	tr, _, _, sent := occupantFixture(t)
	if !occupantStanza(t, tr, `<iq from='alice@localhost/phone' to='g1@echo.localhost' id='rn1' type='get'><query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/></iq>`) {
		t.Fatal("not taken by the room")
	}
	got := sent()
	if len(got) != 1 || got[0].Type() != "result" {
		t.Fatalf("want one result, got %v", got)
	}
	q := got[0].Payload()
	id := q.Child("", "identity")
	if q.Attr("node") != "x-roomuser-item" || id == nil || id.Attr("category") != "conference" || id.Attr("name") != "Alice" {
		t.Fatalf("want the user's nick Alice as a conference identity: %+v", q)
	}
	occupantStanza(t, tr, `<presence from='alice@localhost/tablet' to='g1@echo.localhost/Alice'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`)
	for _, st := range sent() {
		if st.Kind() == "presence" && strings.HasSuffix(st.From(), "/Alice") {
			codes := map[string]bool{}
			if x := st.Child("http://jabber.org/protocol/muc#user", "x"); x != nil {
				for _, c := range x.Children {
					codes[c.Attr("code")] = true
				}
			}
			if !codes["110"] || codes["210"] {
				t.Errorf("join with the reserved nick: status codes %v, want 110 and no 210", codes)
			}
			return
		}
	}
	t.Error("no self-presence")
}
