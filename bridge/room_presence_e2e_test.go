package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomMemberAvailability: a member's availability on the network (a
// contact's presence event) shows on its occupant in the room: a joined
// resource gets the occupant's presence with the show and status, and a
// join shows it too (Echo Two is away from the start: "Back soon").
// Before, a presence event reached only the contact's own presence, and
// occupants showed nothing of it.
func TestRoomMemberAvailability(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	j := join(t, alice, "a", "")
	two := ""
	for _, o := range j.occupants {
		if nick(o.From) == "Echo Two" {
			two = o.XML
		}
	}
	if !strings.Contains(two, "<show>away</show>") || !strings.Contains(two, "<status>Back soon</status>") {
		t.Errorf("Echo Two at the join: want away, Back soon: %s", two)
	}

	sendChat(t, alice, "echo-1@"+domain, `net-event {"presence":{"presence":{"show":"PRESENCE_SHOW_DND","status":"in a meeting"}}}`)
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == room+"/Echo One" && strings.Contains(s.XML, "<show>dnd</show>")
	})
	if err != nil {
		t.Fatalf("no occupant presence of Echo One with dnd: %v; pending %v", err, alice.Pending())
	}
	if st.Type != "" || !strings.Contains(st.XML, "<status>in a meeting</status>") || !strings.Contains(st.XML, `jid="echo-1@`+domain+`"`) {
		t.Errorf("Echo One's occupant presence: %s", st.XML)
	}
	// Offline on the network: still a member, so an occupant, extended away.
	sendChat(t, alice, "echo-1@"+domain, `net-event {"presence":{"presence":{"show":"PRESENCE_SHOW_OFFLINE"}}}`)
	if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == room+"/Echo One" && s.Type == "" && strings.Contains(s.XML, "<show>xa</show>")
	}); err != nil {
		t.Fatalf("no occupant presence of Echo One with xa: %v; pending %v", err, alice.Pending())
	}
}
