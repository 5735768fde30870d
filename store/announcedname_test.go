package store

import (
	"errors"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// TestRoomAnnouncedName: the name a room was announced with is kept, and
// replaced by SetRoomAnnouncedName, across a reopen; a room never
// announced, or forgotten, has none and gets none; a record from before
// names were kept reads as told with no name and takes one; a damaged
// record is an error, and a set makes it whole; bad keys are refused.
func TestRoomAnnouncedName(t *testing.T) {
	db := openTemp(t)
	const user, room = "alice@example.org", `g\40x@wa.example.org`
	name := func(db *DB, room string) (string, bool) {
		t.Helper()
		n, told, err := db.RoomAnnouncedName("wa", user, room)
		if err != nil {
			t.Fatal(err)
		}
		return n, told
	}
	if n, told := name(db, room); told || n != "" {
		t.Fatalf("before any mark: %q %v", n, told)
	}
	if err := db.SetRoomAnnouncedName(bg, "wa", user, room, "Ponts"); err != nil {
		t.Fatal(err)
	}
	if _, told := name(db, room); told {
		t.Fatal("a name set for a room never announced made a record")
	}
	if _, err := db.MarkRoomAnnounced(bg, "wa", user, room, "Bridges & co"); err != nil {
		t.Fatal(err)
	}
	if n, told := name(db, room); !told || n != "Bridges & co" {
		t.Fatalf("announced: %q %v", n, told)
	}
	if err := db.SetRoomAnnouncedName(bg, "wa", user, room, "Ponts"); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, db)
	if n, told := name(db, room); !told || n != "Ponts" {
		t.Fatalf("renamed, after a reopen: %q %v", n, told)
	}
	if first, _ := db.MarkRoomAnnounced(bg, "wa", user, room, "Other"); first {
		t.Fatal("a set name made the next mark first")
	}
	if n, _ := name(db, room); n != "Ponts" {
		t.Fatalf("a second mark changed the name: %q", n)
	}
	if err := db.ForgetRoomAnnounced(bg, "wa", user, room); err != nil {
		t.Fatal(err)
	}
	if n, told := name(db, room); told || n != "" {
		t.Fatalf("forgotten: %q %v", n, told)
	}

	// A record of before: its time only.
	const old = "old@wa.example.org"
	put := func(v []byte) {
		t.Helper()
		err := db.submit(bg, func(tx *bbolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bAnnounced)
			for _, n := range []string{"wa", user} {
				if err == nil {
					b, err = b.CreateBucketIfNotExists([]byte(n))
				}
			}
			if err != nil {
				return err
			}
			return b.Put([]byte(old), v)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	at := newEnc(12)
	at.time(time.Unix(1700000000, 0))
	put(at.b)
	if n, told := name(db, old); !told || n != "" {
		t.Fatalf("a record without a name: %q %v", n, told)
	}
	if err := db.SetRoomAnnouncedName(bg, "wa", user, old, "Named"); err != nil {
		t.Fatal(err)
	}
	if n, _ := name(db, old); n != "Named" {
		t.Fatalf("a record without a name, named: %q", n)
	}

	// A damaged one.
	put([]byte{recV1, 2, 0, 9})
	if _, _, err := db.RoomAnnouncedName("wa", user, old); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a damaged record: %v", err)
	}
	if ok, err := db.RoomAnnounced("wa", user, old); !ok || err != nil {
		t.Fatalf("a damaged record is still a telling: %v %v", ok, err)
	}
	if err := db.SetRoomAnnouncedName(bg, "wa", user, old, "Whole"); err != nil {
		t.Fatal(err)
	}
	if n, _ := name(db, old); n != "Whole" {
		t.Fatalf("a damaged record, named: %q", n)
	}

	if _, _, err := db.RoomAnnouncedName("wa", "", room); !errors.Is(err, ErrInvalid) {
		t.Errorf("no user: %v", err)
	}
	if err := db.SetRoomAnnouncedName(bg, "wa", user, "", "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("no room: %v", err)
	}
}
