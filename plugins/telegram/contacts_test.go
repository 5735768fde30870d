package telegram

import (
	"slices"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// listedIDs is the contact list's user IDs, sorted.
func listedIDs(t *testing.T, s *Session) []string {
	t.Helper()
	cs, err := s.ContactList(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.UserId)
	}
	slices.Sort(ids)
	return ids
}

func isContact(id string) func(*pb.Event) bool {
	return func(ev *pb.Event) bool { return ev.GetContact().GetContact().GetUserId() == id }
}

func isContactRemoved(id string) func(*pb.Event) bool {
	return func(ev *pb.Event) bool { return ev.GetContactRemoved().GetUserId() == id }
}

// Changes of the contact list made on another device reach the gateway:
// a block takes the user out (and out of the contact list), an unblock
// brings them back; a contact added or deleted (updateUser) comes or
// goes, though someone of a private chat stays; all contacts deleted
// (updateContactsReset) take out those listed as contacts alone.
func TestContactChangesLive(t *testing.T) {
	srv := newFake(t)
	srv.Send(carol.ID, &tg.PeerUser{UserID: alice.ID}, "hi, not a contact")
	s, h, _, _ := connectAlice(t, srv)
	if got := listedIDs(t, s); !slices.Equal(got, []string{"1002", "1003"}) {
		t.Fatalf("contacts %v: want bob and carol", got)
	}

	from := h.count()
	srv.Block(alice.ID, carol.ID, true)
	h.wait(t, from, "carol removed when blocked", isContactRemoved("1003"))
	if got := listedIDs(t, s); !slices.Equal(got, []string{"1002"}) {
		t.Errorf("contacts %v: want bob alone, carol blocked", got)
	}
	from = h.count()
	srv.Block(alice.ID, carol.ID, false)
	if ev := h.wait(t, from, "carol back when unblocked", isContact("1003")); ev.GetContact().GetContact().GetName() != "Carol" {
		t.Errorf("carol back as %v", ev)
	}
	if got := listedIDs(t, s); !slices.Equal(got, []string{"1002", "1003"}) {
		t.Errorf("contacts %v: want bob and carol again", got)
	}

	// Carol made a contact, then deleted: her private chat keeps her.
	from = h.count()
	srv.NewContact(alice.ID, carol.ID)
	h.wait(t, from, "carol described as a contact", isContact("1003"))
	from = h.count()
	srv.DeleteContact(alice.ID, carol.ID)
	srv.DeleteContact(alice.ID, bob.ID)
	h.wait(t, from, "bob removed", isContactRemoved("1002"))
	h.mu.Lock()
	for _, ev := range h.events[from:] {
		if isContactRemoved("1003")(ev) {
			t.Errorf("carol removed, though her private chat lists her: %v", ev)
		}
	}
	h.mu.Unlock()
	from = h.count()
	srv.NewContact(alice.ID, bob.ID)
	h.wait(t, from, "bob back as a contact", isContact("1002"))

	// All contacts deleted: bob goes, carol stays.
	from = h.count()
	srv.ResetContacts(alice.ID)
	h.wait(t, from, "bob removed by the reset", isContactRemoved("1002"))
	srv.Send(carol.ID, &tg.PeerUser{UserID: alice.ID}, "still here")
	h.wait(t, from, "carol's message after the reset", isMessage("1003", "still here"))
	h.mu.Lock()
	for _, ev := range h.events[from:] {
		if isContactRemoved("1003")(ev) {
			t.Errorf("carol removed by the reset, though her private chat lists her: %v", ev)
		}
	}
	h.mu.Unlock()
	if got := listedIDs(t, s); !slices.Equal(got, []string{"1003"}) {
		t.Errorf("contacts %v: want carol alone", got)
	}
}

// A listed contact's new profile photo (Telegram's updateUser, the user
// bundled with it) describes them again with its ID, and a removed one
// with an ID that has no picture: the avatar changed only at the next
// contact list, and a removal never.
func TestContactNewPhoto(t *testing.T) {
	s, _ := unitSession(t)
	s.listing.set(map[int64]listedAs{1002: {contact: true}})
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob", Contact: true, Photo: &tg.UserProfilePhoto{PhotoID: 77}}}, nil)
	evs := s.convert(ctxT(t), &tg.UpdateUser{UserID: 1002})
	if len(evs) != 1 || evs[0].GetContact().GetContact().GetAvatarId() != "77" {
		t.Errorf("events %v: want bob with avatar 77", evs)
	}
	// Bob removes his photo: Telegram bundles him without one. He is
	// described with an ID whose UserInfo has no picture ("" would keep
	// the old one shown).
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob", Contact: true}}, nil)
	evs = s.convert(ctxT(t), &tg.UpdateUser{UserID: 1002})
	if len(evs) != 1 || evs[0].GetContact().GetContact().GetAvatarId() != sdk.NoAvatarID {
		t.Errorf("events %v: want bob with avatar %q", evs, sdk.NoAvatarID)
	}
	// Someone of a group only: nothing.
	s.peers.add([]tg.UserClass{&tg.User{ID: 1003, AccessHash: 3, FirstName: "Carol", Photo: &tg.UserProfilePhoto{PhotoID: 78}}}, nil)
	if evs := s.convert(ctxT(t), &tg.UpdateUser{UserID: 1003}); len(evs) != 0 {
		t.Errorf("a group member's new photo: events %v, want none", evs)
	}
}

// avatarIDs is the contact list's avatar IDs by user ID.
func avatarIDs(t *testing.T, s *Session) map[string]string {
	t.Helper()
	cs, err := s.ContactList(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range cs {
		out[c.UserId] = c.AvatarId
	}
	return out
}

// A contact who removed their profile photo while the gateway was away
// (Telegram's updateUser has no pts: no catch-up brings it) is listed
// with the avatar ID "none" at the next contact list, whose UserInfo has
// no picture, so the gateway clears the one it showed; once, and only
// for a contact listed with a photo before (their user object, which
// the list has already, says they have none now): someone who never had
// one costs the gateway no UserInfo. The removal was never told: the
// list said "" (nothing to say), the old photo stayed shown.
func TestContactPhotoRemovedWhileAway(t *testing.T) {
	srv := newFake(t)
	srv.SetProfilePhoto(bob.ID, []byte("jpeg of bob"))
	srv.Send(carol.ID, &tg.PeerUser{UserID: alice.ID}, "hi, no photo")
	s, h, info, n := connectAlice(t, srv)
	ids := avatarIDs(t, s)
	if ids["1002"] == "" || ids["1002"] == sdk.NoAvatarID || ids["1003"] != "" {
		t.Fatalf("avatar IDs %v: want bob's photo, none said for carol", ids)
	}
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}

	srv.SetProfilePhoto(bob.ID, nil)
	s = connect(t, n, h, info)
	if ids := avatarIDs(t, s); ids["1002"] != sdk.NoAvatarID || ids["1003"] != "" {
		t.Errorf("avatar IDs %v: want bob's %q, carol's nothing", ids, sdk.NoAvatarID)
	}
	if ids := avatarIDs(t, s); ids["1002"] != "" {
		t.Errorf("avatar IDs listed again %v: want bob's removal said once", ids)
	}
	// A new photo, then removed live (updateUser): the next list says
	// nothing again, as the removal was told.
	srv.SetProfilePhoto(bob.ID, []byte("new jpeg of bob"))
	if ids := avatarIDs(t, s); ids["1002"] == "" || ids["1002"] == sdk.NoAvatarID {
		t.Fatalf("avatar IDs %v: want bob's new photo", ids)
	}
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: bob.ID * 7, FirstName: "Bob", Contact: true}}, nil)
	if evs := s.convert(ctxT(t), &tg.UpdateUser{UserID: 1002}); len(evs) != 1 || evs[0].GetContact().GetContact().GetAvatarId() != sdk.NoAvatarID {
		t.Fatalf("the live removal %v", evs)
	}
	srv.SetProfilePhoto(bob.ID, nil)
	if ids := avatarIDs(t, s); ids["1002"] != "" {
		t.Errorf("avatar IDs %v: a removal told live said again", ids)
	}
}

// A contact described as a "min" user (whose description may leave the
// photo out) is no removal of their photo, and their photo stays known:
// a later full description without it is.
func TestContactPhotoMinUser(t *testing.T) {
	s, _ := unitSession(t)
	list := func(u *tg.User) string {
		c := contactOf(u)
		s.photosRemoved([]*pb.Contact{c}, map[string]*tg.User{c.UserId: u})
		return c.AvatarId
	}
	if id := list(&tg.User{ID: 1002, FirstName: "Bob", Photo: &tg.UserProfilePhoto{PhotoID: 77}}); id != "77" {
		t.Fatalf("bob with a photo: %q", id)
	}
	if id := list(&tg.User{ID: 1002, FirstName: "Bob", Min: true}); id != "" {
		t.Errorf("bob as a min user: %q, want nothing said", id)
	}
	if id := list(&tg.User{ID: 1002, FirstName: "Bob"}); id != sdk.NoAvatarID {
		t.Errorf("bob without a photo after: %q, want %q", id, sdk.NoAvatarID)
	}
}
