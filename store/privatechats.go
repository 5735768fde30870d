package store

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// bPrivate is the per-login bucket of the members the user last wrote to
// privately through a room (a XEP-0045 private message): q/<member's user
// ID> -> the room's chat ID, the time it was recorded. The bridge shows
// the member's answers (which the network sends in the member's direct
// chat) from the member's occupant JID in that room, where the user's
// client has the conversation, after a restart too. At most
// MaxPrivateChats per login (the oldest goes); a member's record goes
// when the user writes to its own address (DeletePrivateChat), every
// record of a room with the room (DeletePrivateChatsIn), all with the
// login (DeleteLogin drops the login's bucket).
var bPrivate = []byte("q")

// MaxPrivateChats bounds the private chats through rooms kept per login.
const MaxPrivateChats = 512

// PutPrivateChat records that the user last wrote to member userID
// privately through the room of roomID at time at; with MaxPrivateChats records
// already, the oldest other one goes.
func (db *DB) PutPrivateChat(ctx context.Context, transport, loginID, userID, roomID string, at time.Time) error {
	if err := checkPuppetKey(transport, loginID, userID); err != nil {
		return err
	}
	if err := checkPart("room ID", roomID, false); err != nil {
		return err
	}
	e := newEnc(len(roomID) + 12)
	e.str(roomID)
	e.uvarint(uint64(at.UnixNano()))
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		lb, err := loginBucketRW(tx, transport, loginID)
		if err != nil {
			return fmt.Errorf("store: put private chat: %w", err)
		}
		qb, err := lb.CreateBucketIfNotExists(bPrivate)
		if err != nil {
			return fmt.Errorf("store: put private chat: %w", err)
		}
		if qb.Get([]byte(userID)) == nil {
			err := dropOldest(qb, MaxPrivateChats, "private chats", func(v []byte) (time.Time, error) {
				pc, err := decodePrivate(v)
				return pc.At, err
			})
			if err != nil {
				return err
			}
		}
		if err := qb.Put([]byte(userID), e.b); err != nil {
			return fmt.Errorf("store: put private chat: %w", err)
		}
		return nil
	})
}

// PrivateChat is a member the user last wrote to privately through a
// room: that room, and when.
type PrivateChat struct {
	RoomID string
	At     time.Time
}

// decodePrivate reads a record of bPrivate.
func decodePrivate(v []byte) (PrivateChat, error) {
	d := newDec(v)
	pc := PrivateChat{RoomID: d.str()}
	at := d.uvarint()
	if d.err != nil {
		return PrivateChat{}, d.err
	}
	pc.At = time.Unix(0, int64(at))
	return pc, nil
}

// PrivateChats returns the login's private chats through rooms, by
// member user ID; nil when there is none. An unreadable record is left
// out and logged (readRecords).
func (db *DB) PrivateChats(transport, loginID string) (map[string]PrivateChat, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return nil, err
	}
	if err := checkPart("login ID", loginID, false); err != nil {
		return nil, err
	}
	var out map[string]PrivateChat
	err := db.view(func(tx *bbolt.Tx) error {
		qb := sub(loginBucket(tx, transport, loginID), bPrivate)
		if qb == nil {
			return nil
		}
		var err error
		out, err = readRecords(qb, "private chats", transport, loginID, func(k, v []byte) (string, PrivateChat, error) {
			pc, err := decodePrivate(v)
			return string(k), pc, err
		})
		return err
	})
	return out, err
}

// DeletePrivateChat forgets the private chat with member userID.
func (db *DB) DeletePrivateChat(ctx context.Context, transport, loginID, userID string) error {
	if err := checkPuppetKey(transport, loginID, userID); err != nil {
		return err
	}
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		qb := sub(loginBucket(tx, transport, loginID), bPrivate)
		if qb == nil {
			return nil
		}
		if err := qb.Delete([]byte(userID)); err != nil {
			return fmt.Errorf("store: delete private chat: %w", err)
		}
		return nil
	})
}

// DeletePrivateChatsIn forgets the private chats through the room of
// roomID (the user left it, or it ended).
func (db *DB) DeletePrivateChatsIn(ctx context.Context, transport, loginID, roomID string) error {
	if err := checkMovedKey(transport, loginID, roomID); err != nil {
		return err
	}
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		qb := sub(loginBucket(tx, transport, loginID), bPrivate)
		if qb == nil {
			return nil
		}
		var drop [][]byte
		err := qb.ForEach(func(k, v []byte) error {
			if d := newDec(v); d.str() == roomID || d.err != nil {
				drop = append(drop, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: delete private chats of a room: %w", err)
		}
		for _, k := range drop {
			if err := qb.Delete(k); err != nil {
				return fmt.Errorf("store: delete private chats of a room: %w", err)
			}
		}
		return nil
	})
}
