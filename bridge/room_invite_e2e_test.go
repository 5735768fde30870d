package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomDirectInvitation: a XEP-0249 direct invitation the user sends
// to a contact for one of their rooms (Converse.js invites so, with no
// body) adds the contact to the group, as a mediated invitation does.
// Before, it went to the contact's one-to-one chat, where a message
// without a body is nothing: no one was added, and no error said so
// (found by review). The network's refusal comes back as the message's
// error.
func TestRoomDirectInvitation(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	raw(t, alice, `<message id='di1' to='echo-6@`+domain+`'><x xmlns='jabber:x:conference' jid='`+room+`' reason='join us'/></message>`)
	if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && bareJID(s.From) == room && s.Type == "" && strings.Contains(s.XML, `jid="echo-6@`+domain+`"`)
	}); err != nil {
		t.Fatalf("echo-6 was not added by the direct invitation: %v; pending %v", err, alice.Pending())
	}
	// The user invites themself: the network refuses, and says why.
	raw(t, alice, `<message id='di2' to='alice-echo@`+domain+`'><x xmlns='jabber:x:conference' jid='`+room+`'/></message>`)
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.ID == "di2" })
	if err != nil || st.Type != "error" || st.Err == nil || st.Err.Condition != "bad-request" {
		t.Fatalf("a refused direct invitation: want the network's bad-request, got %v %s", err, st.XML)
	}
}

// TestRoomInviteMember: a mediated invitation (XEP-0045 §7.8.2) of a
// contact who is in the group already does not go to the network, which
// refuses to add a member twice: it is answered by nothing, and the
// invitees after it in the same invitation are added. Before, the
// network's bad-request came back and stopped the others (found by
// review).
func TestRoomInviteMember(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	invite := func(id string, who ...string) {
		t.Helper()
		x := ""
		for _, w := range who {
			x += `<invite to='` + w + `@` + domain + `'/>`
		}
		raw(t, alice, `<message id='`+id+`' to='`+room+`'><x xmlns='http://jabber.org/protocol/muc#user'>`+x+`</x></message>`)
	}
	added := func(who string) {
		t.Helper()
		if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && bareJID(s.From) == room && s.Type == "" && strings.Contains(s.XML, `jid="`+who+`@`+domain+`"`)
		}); err != nil {
			t.Fatalf("%s was not added: %v; pending %v", who, err, alice.Pending())
		}
	}
	invite("inv1", "echo-1", "echo-5") // echo-1 is a member
	added("echo-5")
	invite("inv2", "echo-1")
	invite("inv3", "echo-6")
	added("echo-6")
	for _, st := range alice.Pending() {
		if st.Type == "error" && (st.ID == "inv1" || st.ID == "inv2") {
			t.Errorf("the invitation of a member was refused: %s", st.XML)
		}
	}
}

// TestRoomMemberAffiliationAdds: a muc#admin set making a contact who is
// not in the group a member (Converse.js sends it for each invitee of a
// members-only room, beside its invitation; Gajim's member list editor
// too) adds the contact to the group, as an invitation does; one on the
// ban list has the ban lifted, then is added (XEP-0045: a member
// affiliation replaces an outcast's). Before, both were item-not-found:
// no member of the group has this address.
func TestRoomMemberAffiliationAdds(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	admin := func(item string) xmpptest.Stanza {
		t.Helper()
		st, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'>`+item+`</query></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	presence := func(who, typ string) xmpptest.Stanza {
		t.Helper()
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && bareJID(s.From) == room && s.Type == typ && strings.Contains(s.XML, `jid="`+who+`@`+domain+`"`)
		})
		if err != nil {
			t.Fatalf("no presence (%q) of %s: %v; pending %v", typ, who, err, alice.Pending())
		}
		return st
	}
	if st := admin(`<item affiliation='member' jid='echo-6@` + domain + `'><reason>join us</reason></item>`); st.Type != "result" {
		t.Fatalf("member affiliation for a contact not in the group: want result, got %s", st.XML)
	}
	if st := presence("echo-6", ""); !strings.Contains(st.XML, `affiliation="member"`) {
		t.Errorf("echo-6 added, not as a member: %s", st.XML)
	}

	if st := admin(`<item affiliation='outcast' jid='echo-6@` + domain + `'/>`); st.Type != "result" {
		t.Fatalf("ban: %s", st.XML)
	}
	presence("echo-6", "unavailable")
	if st := admin(`<item affiliation='member' jid='echo-6@` + domain + `'/>`); st.Type != "result" {
		t.Fatalf("member affiliation for a banned contact: want result, got %s", st.XML)
	}
	presence("echo-6", "")
	if st := admin(`<item affiliation='member' jid='bob@localhost'/>`); st.Type != "error" || st.Err == nil || st.Err.Condition != "item-not-found" {
		t.Errorf("member affiliation for an address of another domain: want item-not-found, got %s", st.XML)
	}
}
