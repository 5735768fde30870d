package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomMultiSessionNick: the user's resources share the one nick the
// network has for them. A second resource's join asking another nick,
// and a joined resource's join again under a new nick, get that nick
// with 110 and 210 (XEP-0045 §7.2: the service assigned the nick); no
// second occupant of the user appears and nothing is renamed. Prosody's
// own MUC instead splits the user into a second occupant under the other
// nick (checked against a plain Prosody MUC), which a network with one
// member per account cannot show, and takes a join again under a new
// nick as that session's rename, which would rename the user on the
// network for every resource from a client's stale nick.
func TestRoomMultiSessionNick(t *testing.T) {
	s := newStack(t, stackOptions{})
	one := roomUser(t, s, "alice")
	self := nick(join(t, one, "a", "").self.From)
	two := s.loginResource("alice", "two")
	j := join(t, two, "b", "")
	if nick(j.self.From) != self || !strings.Contains(j.self.XML, `code="110"`) || !strings.Contains(j.self.XML, `code="210"`) {
		t.Errorf("a second resource asking another nick: %s, want %q with 110 and 210", j.self.XML, self)
	}
	j = join(t, one, "c", "")
	if nick(j.self.From) != self || !strings.Contains(j.self.XML, `code="210"`) {
		t.Errorf("a joined resource joining again under a new nick: %s, want %q with 210", j.self.XML, self)
	}
	// Neither resource hears of an occupant under the nicks asked, nor of
	// the user's occupant leaving or renamed; the room lists none either.
	for _, c := range []*xmpptest.Client{one, two} {
		items, err := c.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
		if err != nil || items.Type != "result" || !strings.Contains(items.XML, room+"/"+self) ||
			strings.Contains(items.XML, room+"/b\"") || strings.Contains(items.XML, room+"/c\"") {
			t.Errorf("%s: the room's occupants: %v %s, want the user once, as %q", c.JID(), err, items.XML, self)
		}
		for _, st := range c.Pending() {
			if xmpptest.IsPresence(st) && (st.From == room+"/b" || st.From == room+"/c" || st.From == room+"/"+self && st.Type == "unavailable") {
				t.Errorf("%s: %s, want one occupant of the user", c.JID(), st.XML)
			}
		}
	}
}

// TestRoomMultiSessionNickMemberless: in a room whose chat names no
// member of the user's yet (an IRC channel before its NAMES ended), the
// first join's nick is the one asked, and is then the user's: a second
// resource asking another gets it with 210, as in any room.
func TestRoomMultiSessionNickMemberless(t *testing.T) {
	s := newStack(t, stackOptions{})
	one := registered(t, s, "alice")
	s.logs.waitLog(t, "contacts synced", timeout)
	roomJID := channelRoom("later-multi")
	j, jerr := joinChannel(t, one, roomJID, "newt", "")
	if jerr != nil {
		t.Fatalf("join refused: %s", jerr.XML)
	}
	if nick(j.self.From) != "newt" {
		t.Fatalf("first join: %s, want newt as asked", j.self.XML)
	}
	two := s.loginResource("alice", "two")
	j, jerr = joinChannel(t, two, roomJID, "other", "")
	if jerr != nil {
		t.Fatalf("second resource's join refused: %s", jerr.XML)
	}
	if nick(j.self.From) != "newt" || !strings.Contains(j.self.XML, `code="210"`) {
		t.Errorf("a second resource asking another nick: %s, want newt with 210", j.self.XML)
	}
}

// TestRoomMultiSessionNickChange: a nick change from the resource that
// joined under the user's nick (asking another, told so with 210) is
// the user's, shown to every joined resource (303 and 110 from the old
// nick, then 110 from the new one); a resource joining later asking the
// old nick gets the new one with 210.
func TestRoomMultiSessionNickChange(t *testing.T) {
	s := newStack(t, stackOptions{})
	one := roomUser(t, s, "alice")
	old := nick(join(t, one, "a", "").self.From)
	two := s.loginResource("alice", "two")
	if j := join(t, two, "b", ""); nick(j.self.From) != old {
		t.Fatalf("a second resource asking another nick: %s, want %q", j.self.XML, old)
	}
	raw(t, two, `<presence to='`+room+`/Alice B'/>`)
	for _, c := range []*xmpptest.Client{one, two} {
		gone := nextPresence(t, c, room, "unavailable", func(st xmpptest.Stanza) bool { return st.From == room+"/"+old })
		if !strings.Contains(gone.XML, `code="303"`) || !strings.Contains(gone.XML, `code="110"`) || !strings.Contains(gone.XML, `nick="Alice B"`) {
			t.Errorf("%s: the nick change, unavailable: %s, want 303 and 110 naming Alice B", c.JID(), gone.XML)
		}
		back := nextPresence(t, c, room, "", func(st xmpptest.Stanza) bool { return st.From == room+"/Alice B" })
		if !strings.Contains(back.XML, `code="110"`) {
			t.Errorf("%s: the nick change, available: %s, want 110", c.JID(), back.XML)
		}
	}
	three := s.loginResource("alice", "three")
	if j := join(t, three, old, ""); nick(j.self.From) != "Alice B" || !strings.Contains(j.self.XML, `code="210"`) {
		t.Errorf("a third resource asking the old nick: %s, want Alice B with 210", j.self.XML)
	}
}
