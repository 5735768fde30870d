package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// The rooms a user was told of (a bookmark or an XEP-0249 invitation,
// once per group): announced/<transport>/<user JID>/<room JID> -> time
// of the telling, then the room's name as the gateway last knew it
// (announcedname.go; none in records from before names were kept).
// Per user, like the room archives: DeleteLogin forgets them with the
// rest of the user's data.

var bAnnounced = []byte("announced")

func checkAnnounceKey(transport, userJID, roomJID string) error {
	if err := checkLoginKey(transport, userJID); err != nil {
		return err
	}
	return checkPart("room JID", roomJID, false)
}

// MarkRoomAnnounced records that userJID was told of the room roomJID,
// named name, on transport, and reports whether this is the first time:
// false means it was recorded before and nothing changed. The test and
// the record are one write, so of two calls at once exactly one is first.
func (db *DB) MarkRoomAnnounced(ctx context.Context, transport, userJID, roomJID, name string) (bool, error) {
	if err := checkAnnounceKey(transport, userJID, roomJID); err != nil {
		return false, err
	}
	first := false // set by the writer, read once it answered
	val := announcedValue(time.Now(), name)
	err := db.submit(ctx, func(tx *bbolt.Tx) error {
		first = false
		b, err := tx.CreateBucketIfNotExists(bAnnounced)
		if err != nil {
			return fmt.Errorf("store: mark room announced: %w", err)
		}
		for _, name := range [...]string{transport, userJID} {
			if b, err = b.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("store: mark room announced: %w", err)
			}
		}
		if b.Get([]byte(roomJID)) != nil {
			return nil
		}
		if err := b.Put([]byte(roomJID), val); err != nil {
			return fmt.Errorf("store: mark room announced: %w", err)
		}
		first = true
		return nil
	})
	if err != nil {
		// Not first: when ctx ended, the writer may still be setting it.
		return false, err
	}
	return first, nil
}

// RoomAnnounced reports whether userJID was told of the room roomJID.
func (db *DB) RoomAnnounced(transport, userJID, roomJID string) (bool, error) {
	if err := checkAnnounceKey(transport, userJID, roomJID); err != nil {
		return false, err
	}
	found := false
	err := db.view(func(tx *bbolt.Tx) error {
		ub := announcedOf(tx, transport, userJID)
		found = ub != nil && ub.Get([]byte(roomJID)) != nil
		return nil
	})
	return found, err
}

// ForgetRoomAnnounced drops the record of MarkRoomAnnounced: the telling
// did not reach the user, or the user left the group (a later return is
// announced again). Forgetting what is not recorded is not an error.
func (db *DB) ForgetRoomAnnounced(ctx context.Context, transport, userJID, roomJID string) error {
	if err := checkAnnounceKey(transport, userJID, roomJID); err != nil {
		return err
	}
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		ub := announcedOf(tx, transport, userJID)
		if ub == nil {
			return nil
		}
		if err := ub.Delete([]byte(roomJID)); err != nil {
			return fmt.Errorf("store: forget room announced: %w", err)
		}
		return nil
	})
}

// dropUserAnnounced forgets every room userJID was told of (DeleteLogin).
// Writer only, in its transaction.
func dropUserAnnounced(tx *bbolt.Tx, transport, userJID string) error {
	tb := sub(tx.Bucket(bAnnounced), []byte(transport))
	if tb == nil {
		return nil
	}
	if err := tb.DeleteBucket([]byte(userJID)); err != nil && !errors.Is(err, bbolt.ErrBucketNotFound) {
		return fmt.Errorf("store: drop announced rooms of %s: %w", userJID, err)
	}
	return nil
}

// announcedOf is userJID's bucket of rooms told on transport; nil when
// there is none yet.
func announcedOf(tx *bbolt.Tx, transport, userJID string) *bbolt.Bucket {
	return sub(sub(tx.Bucket(bAnnounced), []byte(transport)), []byte(userJID))
}
