package store

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// logsTo sends the default logger's records to a buffer for the test's
// length (store tests run one at a time).
func logsTo(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return &buf
}

// putDamaged writes raw records into the login's bucket b, as a damaged
// file would hold them.
func putDamaged(t *testing.T, db *DB, b []byte, recs map[string][]byte) {
	t.Helper()
	must(t, db.submit(bg, func(tx *bbolt.Tx) error {
		lb, err := loginBucketRW(tx, "wa", "L")
		if err != nil {
			return err
		}
		bb, err := lb.CreateBucketIfNotExists(b)
		if err != nil {
			return err
		}
		for k, v := range recs {
			if err := bb.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	}))
}

// TestDamagedRecordsSkipped: one record of a login's groups left, private
// chats through rooms or members' avatars that does not decode is left
// out and logged; the others are read (after a reopen of the file).
// Before, PrivateChats and MemberAvatars failed whole: the bridge had no
// private chat through a room, no member's avatar, for the session.
func TestDamagedRecordsSkipped(t *testing.T) {
	at := time.Unix(1_800_000_000, 0)
	for _, c := range []struct {
		name string
		put  func(db *DB)
		bad  map[string][]byte // into bucket b
		b    []byte
		read func(db *DB) (map[string]string, error) // key -> one field
		want map[string]string
	}{
		{"left groups", func(db *DB) {
			must(t, db.PutLeftGroup(bg, "wa", "L", "g1", LeftGroup{Cond: "forbidden", At: at}))
			must(t, db.PutLeftGroup(bg, "wa", "L", "g3", LeftGroup{Cond: "registration-required", At: at}))
		}, map[string][]byte{"g2": {recV1, 200}}, bLeft, func(db *DB) (map[string]string, error) {
			m, err := db.LeftGroups("wa", "L")
			out := map[string]string{}
			for k, l := range m {
				out[k] = l.Cond
			}
			return out, err
		}, map[string]string{"g1": "forbidden", "g3": "registration-required"}},
		{"private chats", func(db *DB) {
			must(t, db.PutPrivateChat(bg, "wa", "L", "u1", "g1", at))
			must(t, db.PutPrivateChat(bg, "wa", "L", "u3", "g2", at))
		}, map[string][]byte{"u2": {recV1, 200}}, bPrivate, func(db *DB) (map[string]string, error) {
			m, err := db.PrivateChats("wa", "L")
			out := map[string]string{}
			for k, pc := range m {
				out[k] = pc.RoomID
			}
			return out, err
		}, map[string]string{"u1": "g1", "u3": "g2"}},
		{"member avatars", func(db *DB) {
			must(t, db.PutMemberAvatar(bg, "wa", "L", "g1", "u1", ContactAvatar{AvatarID: "av-1", Hash: "h-1"}))
			must(t, db.PutMemberAvatar(bg, "wa", "L", "g2", "u3", ContactAvatar{AvatarID: "av-3", Hash: "h-3"}))
		}, map[string][]byte{
			string(comp("g1", "u2")): {recV1, 200},        // a damaged value
			"\x05g":                  comp("av-4", "h-4"), // a damaged key
			string(comp("g1")):       comp("av-5", "h-5"), // a key of one part
		}, bMemberAvatars, func(db *DB) (map[string]string, error) {
			m, err := db.MemberAvatars("wa", "L")
			out := map[string]string{}
			for k, a := range m {
				out[k] = a.AvatarID
			}
			return out, err
		}, map[string]string{"u1": "av-1", "u3": "av-3"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := openTemp(t)
			must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "a@x", LoginID: "L"}))
			c.put(db)
			putDamaged(t, db, c.b, c.bad)
			db = reopen(t, db)
			logs := logsTo(t)
			got, err := c.read(db)
			if err != nil {
				t.Fatalf("read failed on a damaged record: %v", err)
			}
			if len(got) != len(c.want) {
				t.Errorf("read %v, want %v", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
			if n := strings.Count(logs.String(), "damaged record"); n != len(c.bad) {
				t.Errorf("%d damaged records logged, want %d:\n%s", n, len(c.bad), logs)
			}
		})
	}
}
