package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Changing a room archive after the fact: corrections, retractions,
// deletion and retention pruning (layout in archive.go).

// roomWrite runs fn on the room's buckets (nil when it has no archive)
// in a bbolt write of the writer, after a checkpoint when the room has
// appends only in the log.
func (db *DB) roomWrite(ctx context.Context, room RoomKey, fn func(tx *bbolt.Tx, rb *roomBkts) error) error {
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		if db.roomLogged(room) {
			if err := db.needCheckpoint(); err != nil {
				return err
			}
		}
		// In a write transaction, the buckets found are writable.
		return fn(tx, roomBucket(tx, room))
	})
}

// ReplaceArchived replaces the payload of the message of remoteID (a
// correction, or a retraction's tombstone), keeping its place and
// stanza-id. ErrNotFound when the room has no such message.
func (db *DB) ReplaceArchived(ctx context.Context, room RoomKey, remoteID string, payload []byte) error {
	return db.replaceArchived(ctx, room, "remote ID", remoteID, payload)
}

// ReplaceArchivedStanza is ReplaceArchived of the message of a stanza-id
// (one that has no remote ID: a correction the user sent);
// ErrUnknownStanzaID when the room has no such message.
func (db *DB) ReplaceArchivedStanza(ctx context.Context, room RoomKey, stanzaID string, payload []byte) error {
	return db.replaceArchived(ctx, room, "stanza-id", stanzaID, payload)
}

func (db *DB) replaceArchived(ctx context.Context, room RoomKey, by, id string, payload []byte) error {
	if err := room.check(); err != nil {
		return err
	}
	if err := checkPart(by, id, false); err != nil {
		return err
	}
	if err := checkPayload(payload); err != nil {
		return fmt.Errorf("replacement of %s in %s: %w", id, room, err)
	}
	payload = bytes.Clone(payload)
	return db.roomWrite(ctx, room, func(_ *bbolt.Tx, rb *roomBkts) error {
		meta, err := metaOf(rb)
		if err != nil {
			return err
		}
		k, err := rb.find(room, meta, by, id)
		if err != nil {
			return &cleanError{err}
		}
		m, err := decodeArchived(meta.epoch, k, rb.order.Get(k))
		if err != nil {
			return err
		}
		m.Payload = payload
		if err := rb.order.Put(k, encodeArchived(&m)); err != nil {
			return fmt.Errorf("store: replace archived message: %w", err)
		}
		return nil
	})
}

// byRemote finds the archived message of remoteID: the room's meta, the
// message's key and the message.
func (rb *roomBkts) byRemote(room RoomKey, remoteID string) (roomMeta, []byte, ArchivedMessage, error) {
	meta, err := metaOf(rb)
	if err != nil {
		return meta, nil, ArchivedMessage{}, err
	}
	k, err := rb.find(room, meta, "remote ID", remoteID)
	if err != nil {
		return meta, nil, ArchivedMessage{}, err
	}
	m, err := decodeArchived(meta.epoch, k, rb.order.Get(k))
	return meta, k, m, err
}

func metaOf(rb *roomBkts) (roomMeta, error) {
	if rb == nil {
		return roomMeta{}, nil
	}
	return rb.meta()
}

// DeleteArchived removes the message of remoteID from the archive
// altogether (its stanza-id then answers ErrUnknownStanzaID).
// ErrNotFound when the room has no such message.
func (db *DB) DeleteArchived(ctx context.Context, room RoomKey, remoteID string) error {
	if err := room.check(); err != nil {
		return err
	}
	if err := checkPart("remote message ID", remoteID, false); err != nil {
		return err
	}
	return db.roomWrite(ctx, room, func(_ *bbolt.Tx, rb *roomBkts) error {
		meta, k, m, err := rb.byRemote(room, remoteID)
		if err != nil {
			return &cleanError{err}
		}
		if err := rb.drop(k, &m); err != nil {
			return fmt.Errorf("store: delete archived message: %w", err)
		}
		meta.count = max(meta.count, 1) - 1
		return rb.room.Put(kArMeta, meta.encode())
	})
}

// DeleteArchive forgets a room's whole archive (the user left the group
// or it was deleted), and the room's own retention. Its counter goes too: a room archived again later
// has a new epoch, so no stanza-id is handed out twice.
func (db *DB) DeleteArchive(ctx context.Context, room RoomKey) error {
	if err := room.check(); err != nil {
		return err
	}
	return db.roomWrite(ctx, room, func(tx *bbolt.Tx, rb *roomBkts) error {
		delete(db.arSeq, room.hkey())
		if err := dropRoomRetention(tx, room); err != nil {
			return err
		}
		ub := sub(sub(tx.Bucket(bArchive), []byte(room.Transport)), []byte(room.UserJID))
		if ub == nil {
			return nil
		}
		if err := ub.DeleteBucket([]byte(room.RoomID)); err != nil && !errors.Is(err, bbolt.ErrBucketNotFound) {
			return fmt.Errorf("store: delete archive of %s: %w", room, err)
		}
		return nil
	})
}

// dropUserArchives deletes every room archive of a user (DeleteLogin).
// Writer only, in its transaction.
func (db *DB) dropUserArchives(tx *bbolt.Tx, transport, userJID string) error {
	db.forgetArState(hkey(transport, userJID, ""))
	tb := sub(tx.Bucket(bArchive), []byte(transport))
	if tb == nil {
		return nil
	}
	if err := tb.DeleteBucket([]byte(userJID)); err != nil && !errors.Is(err, bbolt.ErrBucketNotFound) {
		return fmt.Errorf("store: drop archives of %s: %w", userJID, err)
	}
	return nil
}

// ArchiveRetention bounds a room's archive; a zero field is no bound.
type ArchiveRetention struct {
	// MaxAge drops messages whose time is older than now less MaxAge.
	MaxAge time.Duration
	// MaxMessages keeps only the newest MaxMessages.
	MaxMessages int
}

// PruneArchive drops the room's messages that ret no longer keeps, oldest
// first, in slices of at most Options.PruneChunk messages, each its own
// write queued behind the others, so live appends are never held for
// long. It returns how many it dropped, also when it stops early on an
// error or ctx.
func (db *DB) PruneArchive(ctx context.Context, room RoomKey, ret ArchiveRetention, now time.Time) (int, error) {
	if err := room.check(); err != nil {
		return 0, err
	}
	if ret.MaxAge < 0 || ret.MaxMessages < 0 {
		return 0, fmt.Errorf("%w: negative retention %+v", ErrInvalid, ret)
	}
	if ret.MaxAge == 0 && ret.MaxMessages == 0 {
		return 0, nil
	}
	var cut []byte
	if ret.MaxAge > 0 {
		cut = timeKey(now.Add(-ret.MaxAge))
	}
	total := 0
	for {
		var n int
		var more bool
		err := db.roomWrite(ctx, room, func(_ *bbolt.Tx, rb *roomBkts) error {
			n, more = 0, false
			if rb == nil {
				return nil
			}
			meta, err := rb.meta()
			if err != nil {
				return &cleanError{err}
			}
			excess := 0
			if ret.MaxMessages > 0 && meta.count > uint64(ret.MaxMessages) {
				excess = int(meta.count - uint64(ret.MaxMessages))
			}
			type victim struct {
				k []byte
				m ArchivedMessage
			}
			var vs []victim
			c := rb.order.Cursor()
			k, v := c.First()
			for ; k != nil && len(vs) < db.pruneChunk; k, v = c.Next() {
				old := cut != nil && bytes.Compare(k[:timeKeyLen], cut) < 0
				if len(vs) >= excess && !old {
					break
				}
				m, err := decodeArchived(meta.epoch, k, v)
				if err != nil {
					return &cleanError{err}
				}
				vs = append(vs, victim{bytes.Clone(k), m})
			}
			more = k != nil && len(vs) == db.pruneChunk
			// Deleted after the walk: deleting under a cursor can skip keys.
			for i := range vs {
				if err := rb.drop(vs[i].k, &vs[i].m); err != nil {
					return fmt.Errorf("store: prune archive of %s: %w", room, err)
				}
			}
			if len(vs) == 0 {
				return nil
			}
			meta.count = meta.count - min(meta.count, uint64(len(vs)))
			n = len(vs)
			return rb.room.Put(kArMeta, meta.encode())
		})
		if err != nil {
			// n is not read: on ctx's end the write may still run.
			return total, err
		}
		total += n
		if !more {
			return total, nil
		}
	}
}

// ArchiveRooms lists the rooms with an archive on transport, for a
// pruning pass.
func (db *DB) ArchiveRooms(transport string) ([]RoomKey, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return nil, err
	}
	// Rooms whose first appends are only logged are missed; they are new.
	var out []RoomKey
	err := db.view(func(tx *bbolt.Tx) error {
		tb := sub(tx.Bucket(bArchive), []byte(transport))
		if tb == nil {
			return nil
		}
		return tb.ForEachBucket(func(u []byte) error {
			return tb.Bucket(u).ForEachBucket(func(r []byte) error {
				out = append(out, RoomKey{Transport: transport, UserJID: string(u), RoomID: string(r)})
				return nil
			})
		})
	})
	return out, err
}
