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
