package bridge_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestIdentityKeepsOccupantID: Echo One moves to a new ID twice (echo-1
// -> +33600 -> +33611, as a WhatsApp LID becomes a phone number), and
// stays one person to the room's clients: its XEP-0421 occupant-id is the
// one it had before, in its presence with the new real JID, its live
// messages, a join's history and a MAM page (which hold messages of all
// three IDs), and in these after a restart of the gateway.
func TestIdentityKeepsOccupantID(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	one := occupantsByNick(t, join(t, alice, "a", ""))["Echo One"]
	groupchat(t, alice, "before the move")
	if got := oneOccupantID(t, "before the move", roomMessage(t, alice, "Echo One", "before the move")); got != one {
		t.Fatalf("Echo One's message with %q, its presence %q", got, one)
	}
	for _, mv := range []struct{ from, to string }{{"echo-1", "+33600"}, {"+33600", "+33611"}} {
		sendChat(t, alice, mv.from+"@"+domain, "identity "+mv.to)
		occ, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
			return st.Name == "presence" && st.From == room+"/Echo One" && strings.Contains(st.XML, `jid="`+mv.to+"@"+domain+`"`)
		})
		if err != nil {
			t.Fatalf("Echo One's presence as %s: %v; pending %v", mv.to, err, alice.Pending())
		}
		if got := oneOccupantID(t, "presence as "+mv.to, occ); got != one {
			t.Errorf("Echo One moved to %s: presence with occupant-id %q, before %q", mv.to, got, one)
		}
		body := "after the move to " + mv.to
		groupchat(t, alice, body)
		if got := oneOccupantID(t, body, roomMessage(t, alice, "Echo One", body)); got != one {
			t.Errorf("Echo One's message as %s with occupant-id %q, before %q", mv.to, got, one)
		}
	}
	bodies := []string{"before the move", "after the move to +33600", "after the move to +33611"}
	checkArchived := func(what string, msgs []xmpptest.Stanza, from func(xmpptest.Stanza) string) {
		t.Helper()
		seen := map[string]bool{}
		for _, m := range msgs {
			if nick(from(m)) != "Echo One" {
				continue
			}
			seen[m.Body] = true
			if ids := occupantIDs(m.XML); len(ids) != 1 || ids[0] != one {
				t.Errorf("%s: Echo One's %q with occupant-ids %q, want %q", what, m.Body, ids, one)
			}
		}
		for _, b := range bodies {
			if !seen[b] {
				t.Errorf("%s: no %q from Echo One", what, b)
			}
		}
	}
	phone := s.loginResource("alice", "phone")
	pj := join(t, phone, "a", `<history maxstanzas='50'/>`)
	if got := occupantsByNick(t, pj)["Echo One"]; got != one {
		t.Errorf("a join after the moves: Echo One with %q, want %q", got, one)
	}
	checkArchived("history", pj.history, func(m xmpptest.Stanza) string { return m.From })
	checkArchived("MAM", archivedByEcho(t, alice), func(m xmpptest.Stanza) string { return m.From })

	s.stop()
	s.start()
	s.waitGateway(alice)
	waitRoomBack(t, alice, nick(pj.self.From))
	// The echo network forgets the moves with its process: Echo One is
	// echo-1 again, the first ID, whose id is its own. What the restart
	// tests is the archive: its messages of +33600 and +33611 derive
	// Echo One's id again, from the aliases the store kept.
	j := join(t, alice, "a", `<history maxstanzas='50'/>`)
	checkArchived("history after the restart", j.history, func(m xmpptest.Stanza) string { return m.From })
	checkArchived("MAM after the restart", archivedByEcho(t, alice), func(m xmpptest.Stanza) string { return m.From })
	groupchat(t, alice, "after the restart")
	// Its nick is echo-1 until the contacts are synced again.
	rep, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && bareJID(st.From) == room && nick(st.From) != nick(j.self.From) && st.Body == "after the restart"
	})
	if err != nil {
		t.Fatalf("Echo One's repeat after the restart: %v; pending %v", err, alice.Pending())
	}
	if got := oneOccupantID(t, "after the restart", rep); got != one {
		t.Errorf("Echo One's message after the restart with %q, want %q", got, one)
	}
}

// archivedByEcho is what a MAM page holds of Echo One: its messages, as
// a join's history would, each with the XML of its occupant-ids.
func archivedByEcho(t *testing.T, c *xmpptest.Client) []xmpptest.Stanza {
	t.Helper()
	var out []xmpptest.Stanza
	for _, m := range queryMAM(t, c, room, "").msgs {
		fw := m.Result.Forwarded.Message
		var ids strings.Builder
		for _, o := range fw.OccupantIDs {
			fmt.Fprintf(&ids, `<occupant-id xmlns="%s" id="%s"/>`, nsOccupantID, o.ID)
		}
		out = append(out, xmpptest.Stanza{Name: "message", From: fw.From, Body: fw.Body, XML: ids.String()})
	}
	return out
}

// waitRoomBack waits, after a restart, until the gateway answers a
// self-ping (XEP-0410) of the user's old occupant as one no longer
// joined: the room is back, to join again.
func waitRoomBack(t *testing.T, c *xmpptest.Client, self string) {
	t.Helper()
	ping := `<iq type='get' to='` + room + `/` + self + `'><ping xmlns='urn:xmpp:ping'/></iq>`
	deadline := time.Now().Add(timeout)
	for {
		st, err := c.IQ(ctxT(t), ping)
		if err == nil && st.Err != nil && st.Err.Condition == "not-acceptable" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("self-ping after a restart: want not-acceptable, got %v %s", err, st.XML)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
