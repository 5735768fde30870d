package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// A user's retention of one room, overriding the transport's for it:
// roomret/<transport>/<user JID>/<room ID> -> max age in seconds, max
// messages. Small, beside the archive: DeleteLogin forgets a user's with
// the rest of their data, DeleteArchive a room's with its archive.

var bRoomRet = []byte("roomret")

// SetRoomRetention records ret as the room's own retention; a zero ret
// forgets it (the transport's applies again).
func (db *DB) SetRoomRetention(ctx context.Context, room RoomKey, ret ArchiveRetention) error {
	if err := room.check(); err != nil {
		return err
	}
	if ret.MaxAge < 0 || ret.MaxMessages < 0 {
		return fmt.Errorf("%w: negative retention %+v", ErrInvalid, ret)
	}
	val := newEnc(12)
	val.uvarint(uint64(ret.MaxAge / time.Second))
	val.uvarint(uint64(ret.MaxMessages))
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		if ret == (ArchiveRetention{}) {
			return dropRoomRetention(tx, room)
		}
		b, err := tx.CreateBucketIfNotExists(bRoomRet)
		if err != nil {
			return fmt.Errorf("store: set room retention: %w", err)
		}
		for _, name := range [...]string{room.Transport, room.UserJID} {
			if b, err = b.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("store: set room retention: %w", err)
			}
		}
		if err := b.Put([]byte(room.RoomID), val.b); err != nil {
			return fmt.Errorf("store: set room retention: %w", err)
		}
		return nil
	})
}

// RoomRetention is the room's own retention, zero when it has none.
func (db *DB) RoomRetention(room RoomKey) (ArchiveRetention, error) {
	if err := room.check(); err != nil {
		return ArchiveRetention{}, err
	}
	var ret ArchiveRetention
	err := db.view(func(tx *bbolt.Tx) error {
		ub := sub(sub(tx.Bucket(bRoomRet), []byte(room.Transport)), []byte(room.UserJID))
		if ub == nil {
			return nil
		}
		v := ub.Get([]byte(room.RoomID))
		if v == nil {
			return nil
		}
		var err error
		ret, err = decodeRoomRetention(v)
		return err
	})
	return ret, err
}

// RoomRetentions lists the rooms of transport that have their own
// retention, for a pruning pass.
func (db *DB) RoomRetentions(transport string) (map[RoomKey]ArchiveRetention, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return nil, err
	}
	out := map[RoomKey]ArchiveRetention{}
	err := db.view(func(tx *bbolt.Tx) error {
		tb := sub(tx.Bucket(bRoomRet), []byte(transport))
		if tb == nil {
			return nil
		}
		return tb.ForEachBucket(func(u []byte) error {
			return tb.Bucket(u).ForEach(func(r, v []byte) error {
				ret, err := decodeRoomRetention(v)
				if err != nil {
					return fmt.Errorf("room retention of %s/%s: %w", u, r, err)
				}
				out[RoomKey{Transport: transport, UserJID: string(u), RoomID: string(r)}] = ret
				return nil
			})
		})
	})
	return out, err
}

func decodeRoomRetention(v []byte) (ArchiveRetention, error) {
	d := newDec(v)
	age, n := d.uvarint(), d.uvarint()
	if d.err != nil {
		return ArchiveRetention{}, d.err
	}
	if age > uint64(1<<62)/uint64(time.Second) || n > 1<<31 {
		return ArchiveRetention{}, fmt.Errorf("%w: room retention out of range", ErrCorrupt)
	}
	return ArchiveRetention{MaxAge: time.Duration(age) * time.Second, MaxMessages: int(n)}, nil
}

// dropRoomRetention forgets a room's own retention. Writer only.
func dropRoomRetention(tx *bbolt.Tx, room RoomKey) error {
	ub := sub(sub(tx.Bucket(bRoomRet), []byte(room.Transport)), []byte(room.UserJID))
	if ub == nil {
		return nil
	}
	if err := ub.Delete([]byte(room.RoomID)); err != nil {
		return fmt.Errorf("store: forget room retention: %w", err)
	}
	return nil
}

// dropUserRoomRetention forgets every room retention of a user
// (DeleteLogin). Writer only.
func dropUserRoomRetention(tx *bbolt.Tx, transport, userJID string) error {
	tb := sub(tx.Bucket(bRoomRet), []byte(transport))
	if tb == nil {
		return nil
	}
	if err := tb.DeleteBucket([]byte(userJID)); err != nil && !errors.Is(err, bbolt.ErrBucketNotFound) {
		return fmt.Errorf("store: drop room retentions of %s: %w", userJID, err)
	}
	return nil
}
