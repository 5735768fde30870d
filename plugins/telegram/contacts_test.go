package telegram

import (
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
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
// no picture, so the gateway clears the one it showed; and at each list
// after while the photo stays gone (the gateway keeps the IDs it
// fetched: the same ID costs nothing, and a telling lost is made
// again), only for a contact listed with a photo before (their user
// object, which the list has already, says they have none now): someone
// who never had one costs the gateway no UserInfo. The removal was never
// told: the list said "" (nothing to say), the old photo stayed shown.
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
	if ids := avatarIDs(t, s); ids["1002"] != sdk.NoAvatarID || ids["1003"] != "" {
		t.Errorf("avatar IDs listed again %v: want bob's removal said as it stands, carol's nothing", ids)
	}
	// A new photo: said, and no removal.
	srv.SetProfilePhoto(bob.ID, []byte("new jpeg of bob"))
	if ids := avatarIDs(t, s); ids["1002"] == "" || ids["1002"] == sdk.NoAvatarID {
		t.Fatalf("avatar IDs %v: want bob's new photo", ids)
	}
}

// A contact's photo removed live (updateUser) is noted only once the
// gateway confirmed its event: the plugin killed before (the session
// ended, the event lost), the next contact list says the removal. Before,
// it was noted as the update was read: the list then said "" and the
// gateway kept showing the old photo. Confirmed, the lists say it too.
func TestContactPhotoRemovalKilledBeforeConfirm(t *testing.T) {
	srv := newFake(t)
	srv.SetProfilePhoto(bob.ID, []byte("jpeg of bob"))
	s, h, info, n := connectAlice(t, srv)
	ctx := ctxT(t)
	if ids := avatarIDs(t, s); ids["1002"] == "" || ids["1002"] == sdk.NoAvatarID {
		t.Fatalf("avatar IDs %v: want bob's photo", ids)
	}
	removed := func(s *Session) <-chan error {
		srv.SetProfilePhoto(bob.ID, nil)
		s.peers.add([]tg.UserClass{&tg.User{ID: bob.ID, AccessHash: bob.ID * 7, FirstName: "Bob", Contact: true}}, nil)
		done := make(chan error, 1)
		go func() { done <- s.handle(ctx, &tg.UpdateShort{Update: &tg.UpdateUser{UserID: bob.ID}}) }()
		return done
	}
	isRemoval := func(ev *pb.Event) bool {
		return ev.GetContact().GetContact().GetUserId() == "1002" && ev.GetContact().GetContact().GetAvatarId() == sdk.NoAvatarID
	}

	got, release := h.holdDurable()
	done := removed(s)
	deadline := time.After(20 * time.Second)
	for held := false; !held; {
		select {
		case ev := <-got:
			held = isRemoval(ev)
		case <-deadline:
			release(errors.New("test over"))
			t.Fatal("bob's removal never reached the gateway")
		}
	}
	// Killed before the gateway confirmed: the event is lost.
	release(errors.New("sdk: plugin shutting down"))
	if err := <-done; err == nil {
		t.Error("the update handled though its event was lost")
	}
	if err := s.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	s = connect(t, n, h, info)
	if ids := avatarIDs(t, s); ids["1002"] != sdk.NoAvatarID {
		t.Fatalf("avatar IDs %v after a kill before the removal was confirmed: want bob's %q", ids, sdk.NoAvatarID)
	}

	// A new photo, removed live and confirmed: the lists say the
	// removal too.
	srv.SetProfilePhoto(bob.ID, []byte("new jpeg of bob"))
	if ids := avatarIDs(t, s); ids["1002"] == "" || ids["1002"] == sdk.NoAvatarID {
		t.Fatalf("avatar IDs %v: want bob's new photo", ids)
	}
	from := h.count()
	if err := <-removed(s); err != nil {
		t.Fatal(err)
	}
	h.wait(t, from, "bob's removal told", isRemoval)
	if ids := avatarIDs(t, s); ids["1002"] != sdk.NoAvatarID {
		t.Errorf("avatar IDs %v after a confirmed live removal: want bob's %q", ids, sdk.NoAvatarID)
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

// A contact blocked after 1,000 others is left out of the contact list:
// the blocklist is read to its end (Telegram pages it, 100 a request,
// and counts it). Before, its reading stopped at 1,000: Bob was listed.
func TestBlockedPastThousand(t *testing.T) {
	srv := newFake(t)
	for i := range 1000 {
		id := int64(20000 + i)
		srv.AddUser(tgfake.User{ID: id, FirstName: "Blocked", Phone: strconv.FormatInt(33700000000+id, 10)})
		srv.Block(alice.ID, id, true)
	}
	srv.Block(alice.ID, bob.ID, true)
	srv.Send(carol.ID, &tg.PeerUser{UserID: alice.ID}, "hi, not a contact")
	s, _, _, _ := connectAlice(t, srv)
	if got := listedIDs(t, s); !slices.Equal(got, []string{"1003"}) {
		t.Errorf("contacts %v: want carol alone, bob blocked after 1,000 others", got)
	}
}
