package store

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// The name a room had when the gateway last handled it for the user (the
// name it was announced with, then each rename the gateway followed),
// kept in the room's announced record: a rename the gateway did not see
// (it was down, or the login offline) shows at the next sync as a name
// different from this one. It goes with the record: a user who leaves
// the group has no name kept for it.

// announcedValue is an announced record: when, and the room's name.
func announcedValue(at time.Time, name string) []byte {
	val := newEnc(13 + len(name))
	val.time(at)
	val.str(name)
	return val.b
}

// decodeAnnounced reads an announced record; the name is "" in a record
// from before names were kept.
func decodeAnnounced(v []byte) (time.Time, string, error) {
	d := newDec(v)
	at := d.time()
	name := ""
	if d.err == nil && len(d.b) > 0 {
		name = d.str()
	}
	if d.err != nil {
		return time.Time{}, "", d.err
	}
	return at, name, nil
}

// RoomAnnouncedName is the name userJID's room roomJID had when the
// gateway last handled it, and whether the user was told of the room at
// all: a room they were never told of has no name kept. "" with told
// means a record from before names were kept.
func (db *DB) RoomAnnouncedName(transport, userJID, roomJID string) (name string, told bool, err error) {
	if err := checkAnnounceKey(transport, userJID, roomJID); err != nil {
		return "", false, err
	}
	err = db.view(func(tx *bbolt.Tx) error {
		ub := announcedOf(tx, transport, userJID)
		if ub == nil {
			return nil
		}
		v := ub.Get([]byte(roomJID))
		if v == nil {
			return nil
		}
		told = true
		var err error
		if _, name, err = decodeAnnounced(v); err != nil {
			return fmt.Errorf("store: announced room %s of %s: %w", roomJID, userJID, err)
		}
		return nil
	})
	return name, told, err
}

// SetRoomAnnouncedName keeps name as the name of userJID's room roomJID,
// keeping when the user was told of it. A room the user was not told of
// (or no more) gets no record: that is not an error.
func (db *DB) SetRoomAnnouncedName(ctx context.Context, transport, userJID, roomJID, name string) error {
	if err := checkAnnounceKey(transport, userJID, roomJID); err != nil {
		return err
	}
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		ub := announcedOf(tx, transport, userJID)
		if ub == nil {
			return nil
		}
		v := ub.Get([]byte(roomJID))
		if v == nil {
			return nil
		}
		at, _, err := decodeAnnounced(v)
		if err != nil {
			at = time.Now() // a damaged record is made whole; only its time is new
		}
		if err := ub.Put([]byte(roomJID), announcedValue(at, name)); err != nil {
			return fmt.Errorf("store: set announced room name: %w", err)
		}
		return nil
	})
}
