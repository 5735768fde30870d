package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomStatusChange: a joined resource's status change (XEP-0045
// §7.7: a presence with show and status to its occupant JID, as Gajim
// sends on each change) is reflected, with 110, to each of the user's
// joined resources; the occupant shows the latest availability set by a
// resource still joined, and a join's own show counts as one. Before,
// nothing came back and the client kept showing the user as they were
// (TestSetNick asserted it).
func TestRoomStatusChange(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	phone := s.loginResource("alice", "phone")
	self := nick(join(t, alice, "a", "").self.From)
	join(t, phone, "a", "")
	me := room + "/" + self
	selfStatus := func(c *xmpptest.Client, show, status string) {
		t.Helper()
		st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.From == me })
		if err != nil {
			t.Fatalf("no self-presence from %s: %v; pending %v", me, err, c.Pending())
		}
		if st.Type != "" || !strings.Contains(st.XML, `code="110"`) || !strings.Contains(st.XML, `jid="alice@localhost"`) {
			t.Fatalf("want an available self-presence with 110, got %s", st.XML)
		}
		if show != "" && !strings.Contains(st.XML, "<show>"+show+"</show>") || show == "" && strings.Contains(st.XML, "<show>") {
			t.Errorf("want show %q: %s", show, st.XML)
		}
		if status != "" && !strings.Contains(st.XML, "<status>"+status+"</status>") {
			t.Errorf("want status %q: %s", status, st.XML)
		}
	}

	raw(t, alice, `<presence to='`+me+`'><show>away</show><status>at lunch</status></presence>`)
	selfStatus(alice, "away", "at lunch")
	selfStatus(phone, "away", "at lunch")

	// The phone's own change is the latest: shown.
	raw(t, phone, `<presence to='`+me+`'><show>dnd</show></presence>`)
	selfStatus(alice, "dnd", "")
	selfStatus(phone, "dnd", "")

	// The phone leaves: the occupant shows what the desktop set.
	raw(t, phone, `<presence type='unavailable' to='`+me+`'/>`)
	selfStatus(alice, "away", "at lunch")

	// The phone joins again, extended away: its self-presence says so,
	// and the desktop sees the occupant's new availability.
	raw(t, phone, `<presence to='`+me+`'><show>xa</show><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`)
	st, err := phone.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == me && strings.Contains(s.XML, `code="110"`) && strings.Contains(s.XML, `code="100"`)
	})
	if err != nil || !strings.Contains(st.XML, "<show>xa</show>") {
		t.Fatalf("rejoin's self-presence: want show xa, got %v %s", err, st.XML)
	}
	selfStatus(alice, "xa", "")
}

// TestRoomNickChangeKeepsShow: a nick change carrying <show/> and
// <status/> (XEP-0045 §7.6; Gajim's keeps the user's status) shows them
// in the occupant's presence under the new nick, to every joined
// resource; and a change the network refuses still takes the status,
// shown as a status change under the nick kept. Before, both were
// dropped: the user showed available until the next status change.
func TestRoomNickChangeKeepsShow(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	phone := s.loginResource("alice", "phone")
	join(t, alice, "a", "")
	join(t, phone, "a", "")
	raw(t, alice, `<presence to='`+room+`/Alice B'><show>dnd</show><status>in a meeting</status></presence>`)
	for _, c := range []*xmpptest.Client{alice, phone} {
		back, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && s.From == room+"/Alice B" && s.Type == ""
		})
		if err != nil || !strings.Contains(back.XML, `code="110"`) || !strings.Contains(back.XML, "<show>dnd</show>") ||
			!strings.Contains(back.XML, "<status>in a meeting</status>") {
			t.Fatalf("nick change: want the new nick's presence, dnd, in a meeting; got %v %s", err, back.XML)
		}
	}
	// The echo network refuses the nick ChanServ: no rename, but the
	// availability the change carried is the occupant's.
	raw(t, alice, `<presence id='n2' to='`+room+`/ChanServ'><show>away</show></presence>`)
	if e, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.ID == "n2" }); err != nil || e.Type != "error" {
		t.Fatalf("a refused nick: want an error, got %v %s", err, e.XML)
	}
	for _, c := range []*xmpptest.Client{alice, phone} {
		st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && bareJID(s.From) == room && strings.Contains(s.XML, "<show>away</show>")
		})
		if err != nil || st.From != room+"/Alice B" || st.Type != "" || !strings.Contains(st.XML, `code="110"`) {
			t.Fatalf("refused nick change: want the self-presence of Alice B, away, got %v %s", err, st.XML)
		}
	}
}
