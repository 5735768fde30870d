package bridge

import (
	"context"
	"testing"

	"mellium.im/xmpp/jid"

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
	st, err := wire.Parse(`<presence from='alice@localhost/tablet' to='g1@echo.localhost/Tab' id='j1'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.joins.m = map[joinKey]*joinBatch{{chatID: "g1"}: {chatID: "g1", joined: true,
		joins: []pendingJoin{{st: st, from: jid.MustParse(st.From()), to: jid.MustParse(st.To())}}}}
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
