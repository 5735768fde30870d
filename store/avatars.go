package store

import (
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

// PutContactAvatar records the contact's avatar, when the login has the
// contact as a puppet (else nothing is kept: the contact went meanwhile).
func (db *DB) PutContactAvatar(ctx context.Context, transport, loginID, userID string, a ContactAvatar) error {
	if err := checkPuppetKey(transport, loginID, userID); err != nil {
		return err
	}
	if a.AvatarID == "" || len(a.AvatarID) > maxAvatarID || len(a.Hash) > maxAvatarHash {
		return fmt.Errorf("%w: avatar record of %d and %d bytes", ErrInvalid, len(a.AvatarID), len(a.Hash))
	}
	e := newEnc(len(a.AvatarID) + len(a.Hash) + 4)
	e.str(a.AvatarID)
	e.str(a.Hash)
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		lb := loginBucket(tx, transport, loginID)
		if pb := sub(lb, bPuppets); pb == nil || pb.Get([]byte(userID)) == nil {
			return nil
		}
		ab, err := lb.CreateBucketIfNotExists(bAvatars)
		if err != nil {
			return fmt.Errorf("store: put contact avatar: %w", err)
		}
		if err := ab.Put([]byte(userID), e.b); err != nil {
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
			d := newDec(v)
			a := ContactAvatar{AvatarID: d.str(), Hash: d.str()}
			if d.err != nil {
				return fmt.Errorf("store: contact avatar of %s: %w", k, d.err)
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
