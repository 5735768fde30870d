package bridge_test

import "testing"

// TestRoomArchiveRealJID: a room's archive, the room being
// non-anonymous, gives each message's sender's real JID, as the room's
// presences show it, in a muc#user <x><item jid/></x> (as Prosody's
// archive of such a room does): Conversations takes a message read from
// the archive as that person's by it, the occupant who sent it maybe
// gone, and the user's own as sent from another device. It had none.
func TestRoomArchiveRealJID(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	j := join(t, alice, "a", `<history maxstanzas='0'/>`)
	groupchat(t, alice, "who said it")
	roomMessage(t, alice, "Echo One", "who said it")
	p := queryMAM(t, alice, room, mamForm()+rsmSet(`<max>10</max><before/>`))
	if p.iq.Type != "result" {
		t.Fatalf("MAM: %s", p.iq.XML)
	}
	got := map[string]string{}
	for _, m := range p.msgs {
		msg := m.Result.Forwarded.Message
		if len(msg.RealJIDs) != 1 {
			t.Errorf("message from %s: want one real JID, got %v", msg.From, msg.RealJIDs)
			continue
		}
		got[nick(msg.From)] = msg.RealJIDs[0].JID
	}
	self := nick(j.self.From)
	for n, jid := range map[string]string{self: "alice@localhost", "Echo One": "echo-1@" + domain} {
		if got[n] != jid {
			t.Errorf("%s's real JID %q, want %s (all: %v)", n, got[n], jid, got)
		}
	}
}
