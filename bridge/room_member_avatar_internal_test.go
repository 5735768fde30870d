package bridge

import (
	"context"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// occupantPhoto is the XEP-0153 photo hash of an occupant presence, and
// whether it has one.
func occupantPhoto(st *wire.Stanza) (string, bool) {
	x := st.Child(nsVCardPhoto, "x")
	if x == nil {
		return "", false
	}
	p := x.Child("", "photo")
	if p == nil {
		return "", false
	}
	return p.Text, true
}

// occupantPresences are the available presences of an occupant among
// sent, by the resource they went to.
func occupantPresences(sent []*wire.Stanza, from string) map[string][]*wire.Stanza {
	out := map[string][]*wire.Stanza{}
	for _, st := range sent {
		if st.Kind() == "presence" && st.From() == from && st.Type() == "" {
			out[st.To()] = append(out[st.To()], st)
		}
	}
	return out
}

// TestRoomMemberAvatarFetched: a vCard or XEP-0084 fetch that finds a
// group member's picture changed sends the member's occupant presence
// again to each joined resource, with the new photo hash, in the room's
// order of writes (after the copies of a message archived before).
// Before, only a contact's own presence went again: the occupant kept
// its old hash until the member's next presence, and a member who is no
// contact got nothing at all.
func TestRoomMemberAvatarFetched(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	s.setAvatarHash("echo-1", "0000000000000000000000000000000000000000") // in the presences so far
	sent()
	pic := []byte("a new picture")
	out, turn := renderHeld(t, tr, s, "on its way")
	whileHeld(t, tr, r, out, turn, func() {
		s.avatarFetched(context.Background(), "echo-1", &pb.Contact{UserId: "echo-1", Avatar: pic})
	})
	got := sent()
	want := avatarHash(pic)
	byRes := occupantPresences(got, "g1@echo.localhost/One")
	for _, res := range []string{"phone", "laptop"} {
		ps := byRes["alice@localhost/"+res]
		if len(ps) != 1 {
			t.Fatalf("%s: %d presences of the occupant, want 1; sent %v", res, len(ps), got)
		}
		if h, _ := occupantPhoto(ps[0]); h != want {
			t.Errorf("%s: occupant photo %q, want %s", res, h, want)
		}
	}
	msg := indexOf(got, isHeld)
	in := indexOf(got, func(st *wire.Stanza) bool {
		return st.Kind() == "presence" && st.From() == "g1@echo.localhost/One"
	})
	if msg < 0 || in < msg {
		t.Errorf("message at %d, the occupant's presence at %d: want the message first", msg, in)
	}
	if ps := occupantPresences(got, "g1@echo.localhost/Two"); len(ps) != 0 {
		t.Errorf("another member's occupant was sent: %v", ps)
	}

	// A contact with no presence known: its occupants all the same, once
	// each (no second copy by way of its contact presence).
	if err := tr.db.PutPuppets(context.Background(), []store.Puppet{{Transport: tr.name, LoginID: s.LoginID(), UserID: "echo-2", Name: "Two"}}); err != nil {
		t.Fatal(err)
	}
	s.setAvatarHash("echo-2", want)
	s.avatarFetched(context.Background(), "echo-2", &pb.Contact{UserId: "echo-2", Avatar: []byte("another")})
	got = sent()
	byRes = occupantPresences(got, "g1@echo.localhost/Two")
	for _, res := range []string{"phone", "laptop"} {
		ps := byRes["alice@localhost/"+res]
		if len(ps) != 1 {
			t.Fatalf("contact %s: %d presences of the occupant, want 1; sent %v", res, len(ps), got)
		}
		if h, _ := occupantPhoto(ps[0]); h != avatarHash([]byte("another")) {
			t.Errorf("contact %s: occupant photo %q", res, h)
		}
	}

	// Someone in no room: nothing from the room.
	s.setAvatarHash("echo-9", want)
	s.avatarFetched(context.Background(), "echo-9", &pb.Contact{UserId: "echo-9", Avatar: []byte("x")})
	for _, st := range sent() {
		if st.Kind() == "presence" {
			t.Errorf("a presence for someone in no room: %v", st)
		}
	}
}
