package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomDestroyRefused: an owner's <destroy/> (Gajim's and
// Conversations' "Destroy", offered to owners) is refused
// feature-not-implemented saying how to leave the group instead, and that
// the group stays on the network for its other members: WhatsApp, Signal
// and IRC have no deleting of a group, and leaving in its place would
// tell the owner of a deletion that did not happen. One who is no owner
// is forbidden (XEP-0045 §10.9), not told of a group setting: in a group
// where the user may not rename it, a destroy was answered that the
// network did not let them change its name.
func TestRoomDestroyRefused(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	destroy := func(to string) xmpptest.Stanza {
		t.Helper()
		st, err := alice.IQ(ctxT(t), `<iq type='set' to='`+to+`'><query xmlns='http://jabber.org/protocol/muc#owner'><destroy><reason>done</reason></destroy></query></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := destroy(room)
	if st.Err == nil || st.Err.Condition != "feature-not-implemented" || !strings.Contains(st.XML, "/leave") ||
		!strings.Contains(st.XML, "leave-group") || !strings.Contains(st.XML, "other members") {
		t.Errorf("an owner's destroy: want feature-not-implemented saying how to leave: %s", st.XML)
	}
	// A broadcast channel the user reads: no owner of it.
	groupchat(t, alice, `net-event {"chatId":"news","chat":{"chat":{"chatId":"news","type":"CHAT_TYPE_CHANNEL","name":"News","features":{"leaveChat":true}}}}`)
	news := "news@" + domain
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && strings.Contains(st.XML, `jid="`+news+`"`)
	}); err != nil {
		t.Fatalf("no invitation to the channel: %v", err)
	}
	st = destroy(news)
	if st.Err == nil || st.Err.Condition != "forbidden" || strings.Contains(st.XML, "name") || !strings.Contains(st.XML, "owner") {
		t.Fatalf("a reader's destroy: want forbidden, only an owner destroys: %s", st.XML)
	}
	// Nothing was left.
	info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
	if err != nil || !strings.Contains(info.XML, room) || !strings.Contains(info.XML, news) {
		t.Fatalf("a room went: %v %s", err, info.XML)
	}
}
