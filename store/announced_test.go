package store

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

// TestRoomAnnounced: a room is first announced once per user, across a
// reopen; forgetting makes the next mark first again; DeleteLogin forgets
// the user's records and nobody else's; bad keys are refused.
func TestRoomAnnounced(t *testing.T) {
	db := openTemp(t)
	const room = `g\40x@wa.example.org`
	mark := func(db *DB, user, room string) bool {
		t.Helper()
		first, err := db.MarkRoomAnnounced(bg, "wa", user, room, "G")
		if err != nil {
			t.Fatal(err)
		}
		return first
	}
	told := func(db *DB, user, room string) bool {
		t.Helper()
		ok, err := db.RoomAnnounced("wa", user, room)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if told(db, "alice@example.org", room) {
		t.Fatal("told before any mark")
	}
	if !mark(db, "alice@example.org", room) || mark(db, "alice@example.org", room) {
		t.Fatal("want first, then not first")
	}
	if !mark(db, "bob@example.org", room) {
		t.Fatal("another user's mark is not first")
	}
	if first, _ := db.MarkRoomAnnounced(bg, "other", "alice@example.org", room, "G"); !first {
		t.Fatal("another transport's mark is not first")
	}

	db = reopen(t, db)
	if !told(db, "alice@example.org", room) || mark(db, "alice@example.org", room) {
		t.Fatal("the record did not survive a reopen")
	}
	if err := db.ForgetRoomAnnounced(bg, "wa", "alice@example.org", room); err != nil {
		t.Fatal(err)
	}
	if err := db.ForgetRoomAnnounced(bg, "wa", "carol@example.org", room); err != nil {
		t.Fatalf("forgetting what was never recorded: %v", err)
	}
	if !mark(db, "alice@example.org", room) {
		t.Fatal("after forgetting, the mark is not first")
	}

	if err := db.PutLogin(bg, Login{Transport: "wa", UserJID: "alice@example.org", LoginID: "l1"}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteLogin(bg, "wa", "alice@example.org"); err != nil {
		t.Fatal(err)
	}
	if told(db, "alice@example.org", room) {
		t.Error("DeleteLogin kept the user's record")
	}
	if !told(db, "bob@example.org", room) {
		t.Error("DeleteLogin dropped another user's record")
	}
	if ok, _ := db.RoomAnnounced("other", "alice@example.org", room); !ok {
		t.Error("DeleteLogin dropped the user's record on another transport")
	}

	for _, c := range []struct{ transport, user, room, want string }{
		{"", "a@b", room, "empty transport"},
		{"wa", "", room, "empty user JID"},
		{"wa", "a@b", "", "empty room JID"},
		{"wa", "a@b", "r\x00", "contains NUL"},
		{"wa", "a@b", strings.Repeat("r", MaxKeyPart+1), "longer than"},
	} {
		_, err := db.MarkRoomAnnounced(bg, c.transport, c.user, c.room, "G")
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("mark %q %q %.10q: %v, want ErrInvalid with %q", c.transport, c.user, c.room, err, c.want)
		}
		if _, err := db.RoomAnnounced(c.transport, c.user, c.room); !errors.Is(err, ErrInvalid) {
			t.Errorf("lookup %q %q: %v", c.transport, c.user, err)
		}
		if err := db.ForgetRoomAnnounced(bg, c.transport, c.user, c.room); !errors.Is(err, ErrInvalid) {
			t.Errorf("forget %q %q: %v", c.transport, c.user, err)
		}
	}
}

// TestRoomAnnouncedRace: of many marks of one room at once, exactly one
// is first (one invitation, however the calls race).
func TestRoomAnnouncedRace(t *testing.T) {
	db := openTemp(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for range 32 {
		wg.Go(func() {
			first, err := db.MarkRoomAnnounced(bg, "wa", "alice@example.org", "g@wa.example.org", "G")
			if err != nil {
				t.Error(err)
			}
			if first {
				mu.Lock()
				firsts++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firsts != 1 {
		t.Fatalf("%d marks were first, want 1", firsts)
	}
}
