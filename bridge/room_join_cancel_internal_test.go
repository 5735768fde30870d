package bridge

import (
	"context"
	"strconv"
	"testing"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/muc"

	"passerelle.im/passerelle/bridge/wire"
)

// TestRoomJoinLeftBeforeComplete: a resource that leaves (unavailable)
// a room it is still joining by ID (the network has not sent the chat
// yet: a slow IRC channel) is not joined when the chat comes: no
// self-presence for a room the client closed, and no copies sent to it.
// Before, the leave went to the contact path (the room not known yet)
// and the join completed after it, the resource joined behind the
// client's back.
func TestRoomJoinLeftBeforeComplete(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	s.rooms.remove(r.chatID) // the network has not sent the chat yet
	s.mu.Lock()
	s.joins.m = map[joinKey]*joinBatch{{chatID: "g1"}: {chatID: "g1", joined: true, joins: []pendingJoin{tabletJoin(t)}}}
	s.mu.Unlock()
	sent()

	occupantStanza(t, tr, `<presence from='alice@localhost/tablet' to='g1@echo.localhost/Tab' type='unavailable'/>`)
	s.rooms.add(r.chatID, func() *room { return r })
	s.completeJoins(context.Background(), r)
	for _, st := range sent() {
		if st.To() == "alice@localhost/tablet" && st.Kind() == "presence" && st.Type() != "unavailable" {
			t.Errorf("the join the client left completed after all: %v", st)
		}
	}
	r.mu.Lock()
	joined := r.joined["tablet"]
	r.mu.Unlock()
	if joined {
		t.Error("the resource that left is joined")
	}
}

// TestRoomJoinLeftRoomKnown: the network's chat may come before the
// result of the command that joined it (the room is known, the join
// still waits for the result). A leave then is answered with the
// unavailable self-presence (110), and the result completes no join of
// the resource that left; one that joined the known room again meanwhile
// is answered by its leave once, not twice. Before, the leave went to
// the known room, where the resource was not joined: no answer, and the
// result joined it behind the client's back.
func TestRoomJoinLeftRoomKnown(t *testing.T) {
	for _, rejoined := range []bool{false, true} {
		tr, s, r, sent := occupantFixture(t)
		b := &joinBatch{chatID: "g1", joins: []pendingJoin{tabletJoin(t)}}
		s.mu.Lock()
		s.joins.m = map[joinKey]*joinBatch{{chatID: "g1"}: b}
		s.mu.Unlock()
		r.mu.Lock()
		r.joined["tablet"] = rejoined
		r.mu.Unlock()
		sent()

		occupantStanza(t, tr, `<presence from='alice@localhost/tablet' to='g1@echo.localhost/Tab' type='unavailable'/>`)
		var gone []*wire.Stanza
		for _, st := range sent() {
			if st.To() == "alice@localhost/tablet" && st.Kind() == "presence" && st.Type() == "unavailable" && hasStatus(st, muc.StatusSelf) {
				gone = append(gone, st)
			}
		}
		if len(gone) != 1 {
			t.Errorf("rejoined %v: %d unavailable self-presences to the resource that left, want 1", rejoined, len(gone))
		}
		// The command's result.
		s.mu.Lock()
		b.joined = true
		s.mu.Unlock()
		s.completeJoins(context.Background(), r)
		r.mu.Lock()
		joined := r.joined["tablet"]
		r.mu.Unlock()
		if joined {
			t.Errorf("rejoined %v: the resource that left is joined after the command's result", rejoined)
		}
	}
}

// hasStatus reports whether presence st has the MUC status code.
func hasStatus(st *wire.Stanza, code int) bool {
	x := st.Child(muc.NSUser, "x")
	if x == nil {
		return false
	}
	for _, c := range x.Children {
		if c.XMLName.Local == "status" && c.Attr("code") == strconv.Itoa(code) {
			return true
		}
	}
	return false
}

// tabletJoin is alice's tablet's join of g1 as nick Tab, waiting for the
// network's chat.
func tabletJoin(t *testing.T) pendingJoin {
	t.Helper()
	st, err := wire.Parse(`<presence from='alice@localhost/tablet' to='g1@echo.localhost/Tab' id='j1'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	if err != nil {
		t.Fatal(err)
	}
	return pendingJoin{st: st, from: jid.MustParse(st.From()), to: jid.MustParse(st.To())}
}
