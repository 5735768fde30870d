package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// A user who logged out: a logout deletes the login and all its data
// but keeps the gateway in the user's roster, for the next login
// (XEP-0100), so the user is still the gateway's to unregister.
// DeleteLogin remembers them (logged-out/<transport>/<user JID> -> time
// of the deletion, Unix microseconds), PutLogin forgets them (a login
// again), and so does ForgetLoggedOut (unregistered). A user the gateway
// never had a login of, or one unregistered, is not here: XEP-0077's
// <remove/> from them is registration-required.

var bLoggedOut = []byte("logged-out")

// LoggedOut reports whether userJID's login on transport was deleted
// and the user has neither logged in again nor been forgotten since.
func (db *DB) LoggedOut(transport, userJID string) (bool, error) {
	if err := checkLoginKey(transport, userJID); err != nil {
		return false, err
	}
	found := false
	err := db.view(func(tx *bbolt.Tx) error {
		if b := sub(tx.Bucket(bLoggedOut), []byte(transport)); b != nil {
			found = b.Get([]byte(userJID)) != nil
		}
		return nil
	})
	return found, err
}

// ForgetLoggedOut forgets that userJID logged out of transport: they
// unregistered. Forgetting a user not remembered is not an error.
func (db *DB) ForgetLoggedOut(ctx context.Context, transport, userJID string) error {
	if err := checkLoginKey(transport, userJID); err != nil {
		return err
	}
	return db.submit(ctx, func(tx *bbolt.Tx) error { return forgetLoggedOut(tx, transport, userJID) })
}

// markLoggedOut remembers userJID as logged out (in DeleteLogin's
// transaction).
func markLoggedOut(tx *bbolt.Tx, transport, userJID string, at time.Time) error {
	b, err := tx.CreateBucketIfNotExists(bLoggedOut)
	if err == nil {
		b, err = b.CreateBucketIfNotExists([]byte(transport))
	}
	if err == nil {
		err = b.Put([]byte(userJID), binary.BigEndian.AppendUint64(nil, uint64(at.UnixMicro())))
	}
	if err != nil {
		return fmt.Errorf("store: mark logged out: %w", err)
	}
	return nil
}

// forgetLoggedOut is ForgetLoggedOut inside a write transaction.
func forgetLoggedOut(tx *bbolt.Tx, transport, userJID string) error {
	b := sub(tx.Bucket(bLoggedOut), []byte(transport))
	if b == nil || b.Get([]byte(userJID)) == nil {
		return nil
	}
	if err := b.Delete([]byte(userJID)); err != nil {
		return fmt.Errorf("store: forget logged out: %w", err)
	}
	return nil
}
