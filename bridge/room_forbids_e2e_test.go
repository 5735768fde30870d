package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomGroupForbids: in a group that lets the user neither change its
// subject, nor its picture, nor add members (a locked WhatsApp group, a
// Telegram group without those rights: the chat's own features narrow
// the network's), each is refused forbidden at once, saying so
// (XEP-0045 §7.8.2, §8.1), and nothing goes to the network. Before, the
// subject and the picture were checked against the network's features
// only, and invitations not at all: each went to the network, which
// answered with its own error, later.
func TestRoomGroupForbids(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "") // the command is a groupchat message
	groupchat(t, alice, `net-event {"chatId":"locked","chat":{"chat":{"chatId":"locked","type":"CHAT_TYPE_GROUP","name":"Locked","features":{"groups":true,"reactions":true}}}}`)
	locked := "locked@" + domain
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && strings.Contains(st.XML, `jid="`+locked+`"`)
	}); err != nil {
		t.Fatalf("no invitation to the group: %v", err)
	}
	if _, errp := joinChannel(t, alice, locked, "a", ""); errp != nil {
		t.Fatalf("join: %s", errp.XML)
	}
	refused := func(what, id string) {
		t.Helper()
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.ID == id })
		if err != nil || st.Type != "error" || st.Err == nil || st.Err.Condition != "forbidden" || !strings.Contains(st.XML, "this group does not let you") {
			t.Errorf("%s: want forbidden, got %v %s", what, err, st.XML)
		}
	}
	raw(t, alice, `<message type='groupchat' id='subj' to='`+locked+`'><subject>New subject</subject></message>`)
	refused("a subject change", "subj")
	raw(t, alice, `<message id='inv' to='`+locked+`'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='echo-6@`+domain+`'/></x></message>`)
	refused("a mediated invitation", "inv")
	raw(t, alice, `<iq type='set' id='aff' to='`+locked+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='echo-6@`+domain+`'/></query></iq>`)
	refused("a member affiliation for a non-member", "aff")
	raw(t, alice, `<iq type='set' id='pic' to='`+locked+`'><vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORw0KGgo=</BINVAL></PHOTO></vCard></iq>`)
	refused("a picture", "pic")
}
