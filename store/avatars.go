package store

import (
	"bytes"
	"context"
	"fmt"

	"go.etcd.io/bbolt"
)

// bAvatars is the per-login bucket of the contacts' avatars as last
// fetched: v/<user ID> -> the network's avatar ID, the picture's SHA-1
// hash ("" for none). The bridge skips a contact's fetch after a restart
// when the network still names the stored ID (a UserInfo call and a
// download each, rate limited on some networks). One short record per
// contact, written only beside its puppet: gone with the puppet
// (DeletePuppet, DeletePuppets, MoveContact's old ID) and with the login
// (DeleteLogin drops the login's bucket).
var bAvatars = []byte("v")

// Bounds of a stored avatar record: longer is not kept (fetched again
// after a restart, as before the records).
const (
	maxAvatarID   = 256
	maxAvatarHash = 64
)

// ContactAvatar is a contact's avatar as the bridge last fetched it.
type ContactAvatar struct {
	AvatarID string // the network's avatar ID
	Hash     string // the picture's SHA-1 hash, hex; "" for no picture
}

// encodeAvatar is a's record, contact's or member's: its avatar ID and
// hash; ErrInvalid for no ID, or one or a hash past the bounds.
func encodeAvatar(a ContactAvatar) ([]byte, error) {
	if a.AvatarID == "" || len(a.AvatarID) > maxAvatarID || len(a.Hash) > maxAvatarHash {
		return nil, fmt.Errorf("%w: avatar record of %d and %d bytes", ErrInvalid, len(a.AvatarID), len(a.Hash))
	}
	e := newEnc(len(a.AvatarID) + len(a.Hash) + 4)
	e.str(a.AvatarID)
	e.str(a.Hash)
	return e.b, nil
}

// decodeAvatar reads a record of encodeAvatar's.
func decodeAvatar(v []byte) (ContactAvatar, error) {
	d := newDec(v)
	a := ContactAvatar{AvatarID: d.str(), Hash: d.str()}
	return a, d.err
}

// PutContactAvatar records the contact's avatar, when the login has the
// contact as a puppet (else nothing is kept: the contact went meanwhile).
func (db *DB) PutContactAvatar(ctx context.Context, transport, loginID, userID string, a ContactAvatar) error {
	if err := checkPuppetKey(transport, loginID, userID); err != nil {
		return err
	}
	rec, err := encodeAvatar(a)
	if err != nil {
		return err
	}
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		lb := loginBucket(tx, transport, loginID)
		if pb := sub(lb, bPuppets); pb == nil || pb.Get([]byte(userID)) == nil {
			return nil
		}
		ab, err := lb.CreateBucketIfNotExists(bAvatars)
		if err != nil {
			return fmt.Errorf("store: put contact avatar: %w", err)
		}
		if err := ab.Put([]byte(userID), rec); err != nil {
			return fmt.Errorf("store: put contact avatar: %w", err)
		}
		return nil
	})
}

// ContactAvatars returns the recorded avatars of one login's contacts, by
// user ID; empty (nil) when none is.
func (db *DB) ContactAvatars(transport, loginID string) (map[string]ContactAvatar, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return nil, err
	}
	if err := checkPart("login ID", loginID, false); err != nil {
		return nil, err
	}
	var out map[string]ContactAvatar
	err := db.view(func(tx *bbolt.Tx) error {
		ab := sub(loginBucket(tx, transport, loginID), bAvatars)
		if ab == nil {
			return nil
		}
		return ab.ForEach(func(k, v []byte) error {
			a, err := decodeAvatar(v)
			if err != nil {
				return fmt.Errorf("store: contact avatar of %s: %w", k, err)
			}
			if out == nil {
				out = map[string]ContactAvatar{}
			}
			out[string(k)] = a
			return nil
		})
	})
	return out, err
}

// dropAvatar forgets a contact's avatar record, with its puppet. Writer
// only.
func dropAvatar(lb *bbolt.Bucket, userID []byte) error {
	ab := sub(lb, bAvatars)
	if ab == nil {
		return nil
	}
	if err := ab.Delete(userID); err != nil {
		return fmt.Errorf("store: drop contact avatar: %w", err)
	}
	return nil
}

// bMemberAvatars is the per-login bucket of the avatars of group members
// who are no contacts, as last fetched (a client asked for an occupant's
// vCard): w/{room chat ID, user ID} -> the network's avatar ID, the
// picture's SHA-1 hash ("" for none), one record per room the member is
// in. The bridge shows the hash on the member's occupant presences after
// a restart, so that clients that have the picture do not ask for it
// (each ask a UserInfo call and a download on the network). At most
// MaxMemberAvatars records per login (more are not kept: fetched again
// after a restart, as before the records); a room's go with the room
// (DeleteMemberAvatarsIn), all with the login (DeleteLogin drops the
// login's bucket).
var bMemberAvatars = []byte("w")

// MaxMemberAvatars bounds the members' avatar records kept per login.
const MaxMemberAvatars = 4096

// PutMemberAvatar records the avatar of member userID of the room
// roomID, unless the login has MaxMemberAvatars records already.
func (db *DB) PutMemberAvatar(ctx context.Context, transport, loginID, roomID, userID string, a ContactAvatar) error {
	if err := checkPuppetKey(transport, loginID, userID); err != nil {
		return err
	}
	if err := checkPart("room ID", roomID, false); err != nil {
		return err
	}
	rec, err := encodeAvatar(a)
	if err != nil {
		return err
	}
	key := comp(roomID, userID)
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		lb, err := loginBucketRW(tx, transport, loginID)
		if err != nil {
			return fmt.Errorf("store: put member avatar: %w", err)
		}
		wb, err := lb.CreateBucketIfNotExists(bMemberAvatars)
		if err != nil {
			return fmt.Errorf("store: put member avatar: %w", err)
		}
		if wb.Get(key) == nil && countKeys(wb) >= MaxMemberAvatars {
			return nil // bounded: this one is fetched again after a restart
		}
		if err := wb.Put(key, rec); err != nil {
			return fmt.Errorf("store: put member avatar: %w", err)
		}
		return nil
	})
}

// MemberAvatars returns the recorded avatars of one login's group
// members, by user ID (a member of several rooms once: the record read
// last); empty (nil) when none is. An unreadable record is left out and
// logged (readRecords).
func (db *DB) MemberAvatars(transport, loginID string) (map[string]ContactAvatar, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return nil, err
	}
	if err := checkPart("login ID", loginID, false); err != nil {
		return nil, err
	}
	var out map[string]ContactAvatar
	err := db.view(func(tx *bbolt.Tx) error {
		wb := sub(loginBucket(tx, transport, loginID), bMemberAvatars)
		if wb == nil {
			return nil
		}
		var err error
		out, err = readRecords(wb, "members' avatars", transport, loginID, func(k, v []byte) (string, ContactAvatar, error) {
			parts, err := splitComp(k)
			if err != nil || len(parts) != 2 {
				return "", ContactAvatar{}, fmt.Errorf("member avatar key: %w", ErrCorrupt)
			}
			a, err := decodeAvatar(v)
			return parts[1], a, err
		})
		return err
	})
	return out, err
}

// DeleteMemberAvatarsIn forgets the members' avatar records of the room
// roomID (the user left it, or it ended).
func (db *DB) DeleteMemberAvatarsIn(ctx context.Context, transport, loginID, roomID string) error {
	if err := checkMovedKey(transport, loginID, roomID); err != nil {
		return err
	}
	prefix := comp(roomID)
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		wb := sub(loginBucket(tx, transport, loginID), bMemberAvatars)
		if wb == nil {
			return nil
		}
		c := wb.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
			if err := wb.Delete(k); err != nil {
				return fmt.Errorf("store: delete member avatars of a room: %w", err)
			}
		}
		return nil
	})
}
