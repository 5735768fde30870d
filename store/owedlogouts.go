package store

import (
	"bytes"
	"context"
	"fmt"

	"go.etcd.io/bbolt"
)

// A logout the network has not heard of yet: the user removed a login
// while its plugin was down. The login and its data are gone; what the
// plugin needs to log it out (its ID, saved state and folder) waits here
// until the plugin is back, so that a linked device does not stay linked
// on the network side for good.

// bOwed holds, per transport, the logins whose network logout is owed.
var bOwed = []byte("owed-logouts")

func owedKey(l Login) []byte {
	return []byte(l.UserJID + "\x00" + l.LoginID + "\x00" + l.DataDir)
}

// DeleteLoginOwingLogout is DeleteLogin that, in the same transaction,
// keeps the deleted login (ID, saved state, folder) as an owed logout:
// see OwedLogouts. A user without a login deletes nothing and owes
// nothing.
func (db *DB) DeleteLoginOwingLogout(ctx context.Context, transport, userJID string) error {
	return db.deleteLogin(ctx, transport, userJID, true)
}

// OwedLogouts lists the logins of transport whose network logout is owed.
func (db *DB) OwedLogouts(transport string) ([]Login, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return nil, err
	}
	var out []Login
	err := db.view(func(tx *bbolt.Tx) error {
		tb := owedBucket(tx, transport)
		if tb == nil {
			return nil
		}
		return tb.ForEach(func(k, v []byte) error {
			user, _, ok := bytes.Cut(k, []byte{0})
			if !ok {
				return nil
			}
			l, err := decodeLogin(transport, string(user), v)
			if err != nil {
				return nil // unreadable: nothing can be logged out with it
			}
			out = append(out, l)
			return nil
		})
	})
	return out, err
}

// SettleLogout forgets an owed logout: the plugin logged it out, or it
// cannot be.
func (db *DB) SettleLogout(ctx context.Context, l Login) error {
	if err := checkPart("transport", l.Transport, false); err != nil {
		return err
	}
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		tb := owedBucket(tx, l.Transport)
		if tb == nil {
			return nil
		}
		if err := tb.Delete(owedKey(l)); err != nil {
			return fmt.Errorf("store: settle logout: %w", err)
		}
		return nil
	})
}

func owedBucket(tx *bbolt.Tx, transport string) *bbolt.Bucket {
	return sub(tx.Bucket(bOwed), []byte(transport))
}

// oweLogout keeps l as an owed logout (inside DeleteLogin's transaction).
func oweLogout(tx *bbolt.Tx, l Login) error {
	b, err := tx.CreateBucketIfNotExists(bOwed)
	if err == nil {
		b, err = b.CreateBucketIfNotExists([]byte(l.Transport))
	}
	if err == nil {
		err = b.Put(owedKey(l), encodeLogin(l))
	}
	if err != nil {
		return fmt.Errorf("store: owe logout: %w", err)
	}
	return nil
}
