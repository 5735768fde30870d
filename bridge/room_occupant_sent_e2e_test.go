package bridge_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// The joined resources are not sent an occupant presence the same as the
// one they were last sent of that member (room_occupant_sent.go). Each
// test makes a change the occupant does not show, then one it does: the
// first presence of the occupant after the join is that second change
// (the gateway keeps each occupant's presences in order).

// avatarAnnounced waits for the XEP-0084 notification of Echo One's
// avatar, which the gateway sends once a fetch of it is done, after its
// occupant presences.
func avatarAnnounced(t *testing.T, c *xmpptest.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "headline" && bareJID(s.From) == "echo-1@"+domain &&
			strings.Contains(s.XML, "urn:xmpp:avatar:metadata")
	}); err != nil {
		t.Fatalf("no notification of Echo One's avatar: %v; pending %v", err, c.Pending())
	}
}

// nextEchoOne is Echo One's next available occupant presence.
func nextEchoOne(t *testing.T, c *xmpptest.Client, what string) xmpptest.Stanza {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == room+"/Echo One" && s.Type == ""
	})
	if err != nil {
		t.Fatalf("no occupant presence of Echo One %s: %v; pending %v", what, err, c.Pending())
	}
	return st
}

// TestRoomAvatarSameIDNewNoPresence: the network gives Echo One's
// avatar a new ID, the picture the same; the fetch it makes finds the
// hash the join sent, and sends no occupant presence. Before, each
// fetch sent the occupant presence again, unchanged (and a join racing
// a fetch got it twice).
func TestRoomAvatarSameIDNewNoPresence(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	avatarAnnounced(t, alice) // the login's fetch: the join has the hash
	j := join(t, alice, "a", "")
	for _, o := range j.occupants {
		if o.From == room+"/Echo One" {
			if m := photoRe.FindStringSubmatch(o.XML); m == nil || m[1] == "" {
				t.Fatalf("Echo One joined without its avatar's hash: %s", o.XML)
			}
		}
	}
	sendChat(t, alice, "echo-1@"+domain, `net-event {"contact":{"contact":{"userId":"echo-1","name":"Echo One","avatarId":"echo-1-v2"}}}`)
	avatarAnnounced(t, alice) // the fetch of the new ID, done
	sendChat(t, alice, "echo-1@"+domain, `net-event {"presence":{"presence":{"show":"PRESENCE_SHOW_DND","status":"in a meeting"}}}`)
	if st := nextEchoOne(t, alice, "after the join"); !strings.Contains(st.XML, "<show>dnd</show>") {
		t.Errorf("Echo One's first occupant presence after the join: %s, want the dnd one (the avatar is unchanged)", st.XML)
	}
}

// TestRoomAvailabilityUnseenNoPresence: a contact's presence that
// changes what the occupant does not show (the time last seen) sends no
// occupant presence. Before, memberAvailability sent it again.
func TestRoomAvailabilityUnseenNoPresence(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	avatarAnnounced(t, alice) // no change of the avatar to come between
	join(t, alice, "a", "")
	sendChat(t, alice, "echo-1@"+domain, `net-event {"presence":{"presence":{"show":"PRESENCE_SHOW_DND","status":"in a meeting","lastSeenUnix":"1000"}}}`)
	if st := nextEchoOne(t, alice, "with dnd"); !strings.Contains(st.XML, "<show>dnd</show>") {
		t.Fatalf("Echo One's first occupant presence after the join: %s, want dnd", st.XML)
	}
	sendChat(t, alice, "echo-1@"+domain, `net-event {"presence":{"presence":{"show":"PRESENCE_SHOW_DND","status":"in a meeting","lastSeenUnix":"2000"}}}`)
	sendChat(t, alice, "echo-1@"+domain, `net-event {"presence":{"presence":{"show":"PRESENCE_SHOW_AWAY","status":"back later"}}}`)
	if st := nextEchoOne(t, alice, "with away"); !strings.Contains(st.XML, "<show>away</show>") {
		t.Errorf("Echo One's occupant presence after dnd: %s, want the away one (the time last seen is not shown)", st.XML)
	}
}

// TestRoomRejoinSameResourceAllOccupants: a client that joins again
// with the same full JID, without leaving (a reconnect after the
// server's restart, which told the room nothing), gets every occupant
// again, though its record says it was sent them: the join starts the
// record afresh.
func TestRoomRejoinSameResourceAllOccupants(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	avatarAnnounced(t, alice) // no change of the avatar to come between
	for _, what := range []string{"the join", "the join again"} {
		j := join(t, alice, "a", "")
		got := map[string]bool{}
		for _, o := range j.occupants {
			got[nick(o.From)] = true
		}
		if !got["Echo One"] || !got["Echo Two"] {
			t.Fatalf("%s: occupants %v, want Echo One and Echo Two", what, got)
		}
	}
}
