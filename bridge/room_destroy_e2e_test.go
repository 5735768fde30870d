package bridge_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/store"
)

// Destroying a room (XEP-0045 §10.9, muc#owner <destroy/>: Gajim's and
// Conversations' "Destroy", offered to owners) through a real Prosody:
// the owner's destroy deletes the group on the network (DeleteChat) where
// the network can, and the room ends for each of the user's joined
// resources; a network that cannot is answered with how to leave
// instead, nothing changed; one who is no owner is forbidden.

// destroyIQ sends c's destroy of the room to, with reason.
func destroyIQ(t *testing.T, c *xmpptest.Client, to, reason string) xmpptest.Stanza {
	t.Helper()
	st, err := c.IQ(ctxT(t), `<iq type='set' to='`+to+`'><query xmlns='http://jabber.org/protocol/muc#owner'><destroy><reason>`+reason+`</reason></destroy></query></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRoomDestroyDeletesGroup: the owner's destroy of the echo room (the
// echo network deletes it, and then says so with its own deletion
// event, as Telegram does) tells both joined resources that the room is
// destroyed, with the owner's reason, once each, then answers the IQ;
// the room is gone from the rooms listed, its archive with it, and a
// join of it afterwards is refused and makes no room. Before, every
// owner's destroy was refused feature-not-implemented.
func TestRoomDestroyDeletesGroup(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	me := join(t, alice, "a", "").self.From // the network's nick for the user
	phone := s.loginResource("alice", "phone")
	join(t, phone, "a", "")
	groupchat(t, alice, "last words")
	roomMessage(t, alice, "", "last words")
	if p := queryMAM(t, alice, room, ""); len(p.msgs) == 0 {
		t.Fatalf("nothing archived before the destroy: %s", p.iq.XML)
	}

	if st := destroyIQ(t, alice, room, "we are done"); st.Type != "result" {
		t.Fatalf("the owner's destroy: want a result, got %s", st.XML)
	}
	for _, c := range []*xmpptest.Client{alice, phone} {
		// The room's presences in the order they came, up to its end:
		// those before it (a picture, the room's or a member's, fetched
		// in the background after the joins) are no more from the room
		// after its end, which the check below looks for.
		for {
			st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && bareJID(s.From) == room })
			if err != nil {
				t.Fatalf("no unavailable presence from %s: %v; pending: %v", me, err, c.Pending())
			}
			if st.Type != "unavailable" || st.From != me {
				continue
			}
			if venue, reason := destroyedBy(t, st); venue != "" || reason != "we are done" {
				t.Errorf("destroyed: alternate venue %q, reason %q; want none and the owner's words", venue, reason)
			}
			break
		}
	}
	// The network's own deletion event comes too, before the result or
	// after it: once it is taken (either log line), the room's end
	// must have been told once per resource.
	deadline := time.Now().Add(timeout)
	for !strings.Contains(s.logs.String(), "a group the session did not know ended") &&
		!strings.Contains(s.logs.String(), "user no longer in a group") {
		if time.Now().After(deadline) {
			t.Fatal("the network's deletion event never reached the gateway")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range []*xmpptest.Client{alice, phone} {
		if listsRoom(t, c, room) { // a round trip: what came before it is queued
			t.Error("the deleted room is still listed")
		}
		for _, st := range c.Pending() {
			if bareJID(st.From) == room && st.Name == "presence" {
				t.Errorf("the room's end told twice, or more from it: %s", st.XML)
			}
		}
	}

	raw(t, alice, `<presence to='`+room+`/a'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && bareJID(s.From) == room })
	if err != nil {
		t.Fatalf("no answer to the join of the deleted room: %v", err)
	}
	if st.Type != "error" {
		t.Fatalf("a join of the deleted room: want an error, got %s", st.XML)
	}
	if listsRoom(t, alice, room) {
		t.Error("the join of the deleted room made a room")
	}
	s.stop()
	db, err := store.Open(filepath.Join(s.dir, "data", "passerelle.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	page, err := db.QueryArchive(context.Background(), store.RoomKey{Transport: "echo", UserJID: "alice@localhost", RoomID: "echo-room"}, store.ArchiveQuery{CountOnly: true})
	if err != nil || page.Count != 0 {
		t.Errorf("the deleted group's archive: %d messages, %v; want none", page.Count, err)
	}
}

// TestRoomDestroyUnsupported: where the network deletes no group (the
// echo network's lite logins answer UNSUPPORTED, as WhatsApp's, Signal's
// and IRC's plugins do), the owner's destroy is refused
// feature-not-implemented saying that the group stays for its other
// members and how to leave it, and the room is as it was: still listed,
// the user still in it.
func TestRoomDestroyUnsupported(t *testing.T) {
	s := newStack(t, stackOptions{})
	carol := s.user("carol")
	s.waitGateway(carol)
	if r := register(t, carol, "carol+lite"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	deadline := time.Now().Add(timeout)
	for !listsRoom(t, carol, room) {
		if time.Now().After(deadline) {
			t.Fatal("the room never appeared")
		}
		time.Sleep(50 * time.Millisecond)
	}
	join(t, carol, "c", "")

	st := destroyIQ(t, carol, room, "done")
	if st.Err == nil || st.Err.Condition != "feature-not-implemented" || !strings.Contains(st.XML, "/leave") ||
		!strings.Contains(st.XML, "leave-group") || !strings.Contains(st.XML, "other members") || !strings.Contains(st.XML, "for everyone") {
		t.Errorf("a destroy the network cannot do: want feature-not-implemented saying how to leave: %s", st.XML)
	}
	if !listsRoom(t, carol, room) {
		t.Fatal("the room went")
	}
	for _, st := range carol.Pending() {
		if bareJID(st.From) == room && st.Name == "presence" && st.Type == "unavailable" {
			t.Errorf("the user was taken out of the room: %s", st.XML)
		}
	}
	groupchat(t, carol, "still here")
	roomMessage(t, carol, "", "still here")
}

// TestRoomDestroyForbiddenToNonOwner: one who is no owner is forbidden
// (XEP-0045 §10.9), not told of a group setting (in a group where the
// user may not rename it, a destroy was answered that the network did
// not let them change its name), and nothing reaches the network.
func TestRoomDestroyForbiddenToNonOwner(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	// A broadcast channel the user reads: no owner of it.
	groupchat(t, alice, `net-event {"chatId":"news","chat":{"chat":{"chatId":"news","type":"CHAT_TYPE_CHANNEL","name":"News","features":{"leaveChat":true}}}}`)
	news := "news@" + domain
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && strings.Contains(st.XML, `jid="`+news+`"`)
	}); err != nil {
		t.Fatalf("no invitation to the channel: %v", err)
	}
	st := destroyIQ(t, alice, news, "done")
	if st.Err == nil || st.Err.Condition != "forbidden" || strings.Contains(st.XML, "name") || !strings.Contains(st.XML, "owner") {
		t.Fatalf("a reader's destroy: want forbidden, only an owner destroys: %s", st.XML)
	}
	if !listsRoom(t, alice, room) || !listsRoom(t, alice, news) {
		t.Fatal("a room went")
	}
	if strings.Contains(s.logs.String(), "user deleted a group") || strings.Contains(s.logs.String(), "group not deleted") {
		t.Error("a reader's destroy reached the network")
	}
}
