package bridge_test

import (
	"regexp"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomInfoChangeSubject: the room's disco#info form says occupants
// may change the subject (the echo network sets topics) in the field
// Conversations, Monocles and Cheogram read, muc#roomconfig_changesubject
// (as Prosody and slidge send it), not only in muc#roominfo_subjectmod;
// before, those clients offered no subject change to a non-moderator.
func TestRoomInfoChangeSubject(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || info.Type != "result" {
		t.Fatalf("room disco#info: %v %s", err, info.XML)
	}
	for _, v := range []string{"muc#roominfo_subjectmod", "muc#roomconfig_changesubject"} {
		if !regexp.MustCompile(`<field [^>]*var="` + regexp.QuoteMeta(v) + `"[^>]*><value>1</value>`).MatchString(info.XML) {
			t.Errorf("room disco#info: no %s true: %s", v, info.XML)
		}
	}
}

// TestChannelInfoNoSubjectChange: in a broadcast channel its readers set
// no topic, so its disco#info says occupants may not change the subject
// (it said they may wherever the network sets topics, and clients
// offered readers a change the network then refused).
func TestChannelInfoNoSubjectChange(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "") // the command is a groupchat message
	groupchat(t, alice, `net-event {"chatId":"news","chat":{"chat":{"chatId":"news","type":"CHAT_TYPE_CHANNEL","name":"News"}}}`)
	news := "news@" + domain
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && strings.Contains(st.XML, `jid="`+news+`"`)
	}); err != nil {
		t.Fatalf("no invitation to the channel: %v", err)
	}
	info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+news+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || info.Type != "result" {
		t.Fatalf("channel disco#info: %v %s", err, info.XML)
	}
	for _, v := range []string{"muc#roominfo_subjectmod", "muc#roomconfig_changesubject"} {
		if !regexp.MustCompile(`<field [^>]*var="` + regexp.QuoteMeta(v) + `"[^>]*><value>0</value>`).MatchString(info.XML) {
			t.Errorf("channel disco#info: want %s false: %s", v, info.XML)
		}
	}
}

// TestRoomTrafficNode: disco#info on a room's muc#traffic node is
// answered feature-not-implemented, as XEP-0045 (Allowable Traffic)
// says of a room that does not list the namespaces it lets through; it
// was item-not-found, which says the room has no such node at all. A
// node no one defined stays item-not-found (XEP-0030), for disco#items
// too, where it was an empty list.
func TestRoomTrafficNode(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	for node, want := range map[string]string{
		"http://jabber.org/protocol/muc#traffic": "feature-not-implemented",
		"urn:example:no-such-node":               "item-not-found",
	} {
		st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info' node='`+node+`'/></iq>`)
		if err != nil || st.Type != "error" || st.Err == nil || st.Err.Condition != want {
			t.Errorf("disco#info on node %s: want %s, got %v %s", node, want, err, st.XML)
		}
	}
	// disco#items: the room has no node either (it was an empty list);
	// without one, an empty list (XEP-0045 §6.5).
	for node, want := range map[string]string{"urn:example:no-such-node": "error", "": "result"} {
		at := ""
		if node != "" {
			at = ` node='` + node + `'`
		}
		st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#items'`+at+`/></iq>`)
		if err != nil || st.Type != want || (want == "error" && (st.Err == nil || st.Err.Condition != "item-not-found")) {
			t.Errorf("disco#items on node %q: want %s, got %v %s", node, want, err, st.XML)
		}
	}
}

// TestRoomInfoChatFeatures: the room's disco#info says what the user may
// do in this group, not on the network at large: in a group whose own
// features leave the topic out (a Signal group whose details only
// admins edit), occupants may not change the subject, nor react where
// the group takes no reactions. Before, the network's features said
// yes, clients offered both, and the network refused.
func TestRoomInfoChatFeatures(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "") // the command is a groupchat message
	groupchat(t, alice, `net-event {"chatId":"admins","chat":{"chat":{"chatId":"admins","type":"CHAT_TYPE_GROUP","name":"Admins","features":{"groups":true,"groupName":true}}}}`)
	admins := "admins@" + domain
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && strings.Contains(st.XML, `jid="`+admins+`"`)
	}); err != nil {
		t.Fatalf("no invitation to the group: %v", err)
	}
	info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+admins+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || info.Type != "result" {
		t.Fatalf("disco#info: %v %s", err, info.XML)
	}
	for _, v := range []string{"muc#roominfo_subjectmod", "muc#roomconfig_changesubject"} {
		if !regexp.MustCompile(`<field [^>]*var="` + regexp.QuoteMeta(v) + `"[^>]*><value>0</value>`).MatchString(info.XML) {
			t.Errorf("want %s false: %s", v, info.XML)
		}
	}
	if strings.Contains(info.XML, `var="urn:xmpp:reactions:0"`) {
		t.Errorf("reactions offered in a group without them: %s", info.XML)
	}
}

// TestRoomInfoAllowInvites: the room's disco#info form says whether the
// user may add people to the group (muc#roomconfig_allowinvites), as
// the group allows: Conversations offers a participant of a members-only
// room the invitation only when that field is 1 (MucOptions.canInvite),
// and the field was never sent, so a member who is no admin of a
// WhatsApp, Signal or Telegram group where members add others had no way
// to invite from it. A group that lets the user add no one says 0.
func TestRoomInfoAllowInvites(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "") // the command is a groupchat message
	groupchat(t, alice, `net-event {"chatId":"closed","chat":{"chat":{"chatId":"closed","type":"CHAT_TYPE_GROUP","name":"Closed","features":{"groups":true,"groupTopic":true}}}}`)
	closed := "closed@" + domain
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && strings.Contains(st.XML, `jid="`+closed+`"`)
	}); err != nil {
		t.Fatalf("no invitation to the group: %v", err)
	}
	for to, want := range map[string]string{room: "1", closed: "0"} {
		info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+to+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
		if err != nil || info.Type != "result" {
			t.Fatalf("disco#info of %s: %v %s", to, err, info.XML)
		}
		if !regexp.MustCompile(`<field [^>]*var="muc#roomconfig_allowinvites"[^>]*><value>` + want + `</value>`).MatchString(info.XML) {
			t.Errorf("disco#info of %s: want muc#roomconfig_allowinvites %s: %s", to, want, info.XML)
		}
	}
}

// TestOccupantDiscoInfo: disco#info to an occupant JID is the room's to
// answer as XEP-0045 §6.5 says: from a resource that is not joined,
// bad-request (a non-occupant may not query occupants); to a nick nobody
// holds, item-not-found, as Prosody answers; to a member, the member's
// own answer. Both were answered as a contact's, a client with the
// puppet's features at an address where there is no one.
func TestOccupantDiscoInfo(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	phone := s.loginResource("alice", "phone")
	ask := func(c *xmpptest.Client, to string) xmpptest.Stanza {
		t.Helper()
		st, err := c.IQ(ctxT(t), `<iq type='get' to='`+to+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
		if err != nil {
			t.Fatalf("disco#info of %s: %v", to, err)
		}
		return st
	}
	if st := ask(phone, room+"/Echo One"); st.Type != "error" || st.Err == nil || st.Err.Condition != "bad-request" {
		t.Errorf("disco#info of an occupant from a resource not joined: want bad-request, got %s", st.XML)
	}
	if st := ask(alice, room+"/Nobody"); st.Type != "error" || st.Err == nil || st.Err.Condition != "item-not-found" {
		t.Errorf("disco#info of a nick nobody holds: want item-not-found, got %s", st.XML)
	}
	if st := ask(alice, room+"/Echo One"); st.Type != "result" {
		t.Errorf("disco#info of a member from a joined resource: want its answer, got %s", st.XML)
	}
}
