package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomInvited: the network's invitation of the user to a group
// (InvitedEvent) reaches the user's client as the group's room inviting
// them, a XEP-0045 §7.8.2 mediated invitation from the room's address
// naming the inviter's puppet and the plugin's reason, which clients
// offer to accept (the join) or decline (a decline to the room). It
// comes once: not again for the same event ID, whether the network
// sends it twice at once or after a restart of the gateway. Before, the
// event was not rendered at all. A password the plugin gives (WhatsApp's
// private invitation) is the invitation's <password>.
func TestRoomInvited(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	room := "club@" + domain
	const inv = `net-event {"chatId":"club","chatType":"CHAT_TYPE_GROUP","sender":{"userId":"bob"},"eventId":"invite-1","invited":{"chatName":"Club","reason":"join us"}}`
	isInvite := func(st xmpptest.Stanza) bool {
		return st.Name == "message" && st.Type != "error" && bareJID(st.From) == room && strings.Contains(st.XML, "<invite")
	}
	sendChat(t, alice, "bob@"+domain, inv)
	sendChat(t, alice, "bob@"+domain, inv) // the network's replay
	st, err := alice.Next(ctxT(t), isInvite)
	if err != nil {
		t.Fatalf("no invitation from the room: %v", err)
	}
	if !strings.Contains(st.XML, `xmlns="http://jabber.org/protocol/muc#user"`) || !strings.Contains(st.XML, `from="bob@`+domain+`"`) ||
		!strings.Contains(st.XML, "<reason>join us</reason>") || st.To != "alice@localhost" {
		t.Errorf("the invitation: want a muc#user invite from bob's puppet with the reason, to alice's bare JID, got %s", st.XML)
	}
	// A group with no reason: its name stands for one.
	sendChat(t, alice, "bob@"+domain, `net-event {"chatId":"choir","chatType":"CHAT_TYPE_GROUP","sender":{"userId":"bob"},"eventId":"invite-2","invited":{"chatName":"Choir"}}`)
	if st, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && bareJID(st.From) == "choir@"+domain && strings.Contains(st.XML, "<invite")
	}); err != nil || !strings.Contains(st.XML, "Choir") {
		t.Errorf("an invitation with no reason: want the group's name in it, got %v %s", err, st.XML)
	}
	// One whose join needs a password (WhatsApp's private invitation):
	// the invitation carries it, beside the invite, as XEP-0045 has it.
	sendChat(t, alice, "bob@"+domain, `net-event {"chatId":"crew","chatType":"CHAT_TYPE_GROUP","sender":{"userId":"bob"},"eventId":"invite-3","invited":{"chatName":"Crew","password":"invite:Co&de"}}`)
	if st, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && bareJID(st.From) == "crew@"+domain && strings.Contains(st.XML, "<invite")
	}); err != nil || !strings.Contains(st.XML, "</invite><password>invite:Co&amp;de</password></x>") {
		t.Errorf("an invitation with a password: want <password> in muc#user x after the invite, got %v %s", err, st.XML)
	}
	echoAfter(t, alice, "after the replay")
	for _, st := range alice.Pending() {
		if isInvite(st) {
			t.Fatalf("the invitation came twice: %s", st.XML)
		}
	}

	s.stop()
	s.start()
	s.waitGateway(alice)
	sendChat(t, alice, "bob@"+domain, inv)
	echoAfter(t, alice, "after the restart")
	for _, st := range alice.Pending() {
		if isInvite(st) {
			t.Fatalf("the invitation came again after a restart: %s", st.XML)
		}
	}
}
