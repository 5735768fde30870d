package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomMemberLeftIsNoMember: a member who leaves the network's group,
// or is kicked out of it, is no longer a member: the unavailable
// presence says affiliation none. Conversations (and Monocles, Cheogram)
// keep a member (affiliation member or above) who goes unavailable in a
// members-only, non-anonymous room as an offline member of it, so with
// affiliation member a member who had left the group stayed in the
// room's participant list; before, the presence kept the member's
// affiliation. A ban's presence still says outcast.
func TestRoomMemberLeftIsNoMember(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	presenceOf := func(nick, typ string) xmpptest.Stanza {
		t.Helper()
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && s.From == room+"/"+nick && s.Type == typ
		})
		if err != nil {
			t.Fatalf("no %q presence of %s: %v; pending %v", typ, nick, err, alice.Pending())
		}
		return st
	}

	// Echo Three joins the group, then leaves it.
	groupchat(t, alice, "join 3")
	if st := presenceOf("Echo Three", ""); !strings.Contains(st.XML, `affiliation="member"`) {
		t.Fatalf("Echo Three joined not as a member: %s", st.XML)
	}
	groupchat(t, alice, "part 3")
	if st := presenceOf("Echo Three", "unavailable"); !strings.Contains(st.XML, `affiliation="none"`) || !strings.Contains(st.XML, `role="none"`) {
		t.Errorf("a member who left the group: want affiliation none, got %s", st.XML)
	}

	// Echo Two is kicked out of the group.
	kick, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Echo Two' role='none'/></query></iq>`)
	if err != nil || kick.Type != "result" {
		t.Fatalf("kick: %v %s", err, kick.XML)
	}
	if st := presenceOf("Echo Two", "unavailable"); !strings.Contains(st.XML, `code="307"`) || !strings.Contains(st.XML, `affiliation="none"`) {
		t.Errorf("a member kicked out of the group: want 307 and affiliation none, got %s", st.XML)
	}
}

// TestRoomMemberDroppedIsNoMember: a member gone from the room otherwise
// than by a member event is no member either: one missing from the
// network's whole member list (a chat event, updateRoom), and the old
// ID of a member who moved to an ID already in the group (moveMember).
// Both presences said affiliation member before, which Conversations
// keeps as an offline member.
func TestRoomMemberDroppedIsNoMember(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	gone := func(nick string) xmpptest.Stanza {
		t.Helper()
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && s.From == room+"/"+nick && s.Type == "unavailable"
		})
		if err != nil {
			t.Fatalf("no unavailable presence of %s: %v; pending %v", nick, err, alice.Pending())
		}
		return st
	}

	// Echo Three joins; then the network lists the group without it.
	groupchat(t, alice, "join 3")
	groupchat(t, alice, `net-event {"chat":{"chat":{"chatId":"echo-room","type":"CHAT_TYPE_GROUP","name":"Echo room","topic":"Echo room","members":[`+
		`{"userId":"alice-echo","affiliation":"AFFILIATION_OWNER","role":"ROLE_MODERATOR"},{"userId":"echo-1"},{"userId":"echo-2"}]}}}`)
	if st := gone("Echo Three"); !strings.Contains(st.XML, `affiliation="none"`) {
		t.Errorf("a member missing from the member list: want affiliation none, got %s", st.XML)
	}

	// Echo Two moves to Echo One's ID: one member, Echo One; Echo Two's
	// occupant goes.
	sendChat(t, alice, "echo-2@"+domain, "identity echo-1")
	if st := gone("Echo Two"); !strings.Contains(st.XML, `affiliation="none"`) {
		t.Errorf("the old ID of a member moved to another member's: want affiliation none, got %s", st.XML)
	}
}
