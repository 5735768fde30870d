package store

import (
	"context"
	"fmt"

	"go.etcd.io/bbolt"
)

// bMoved is the per-login bucket of the groups the network moved to a
// new chat (Telegram's basic group become a supergroup): g/<old chat
// ID> -> the chat ID it goes on as. The bridge answers a later join of
// the old group's room (a stale bookmark) with the new room's address,
// after a restart too. One short record per move, never pruned; gone
// with the login (DeleteLogin drops the login's bucket).
var bMoved = []byte("g")

// PutMovedGroup records that the login's group chatID goes on as the
// chat newChatID.
func (db *DB) PutMovedGroup(ctx context.Context, transport, loginID, chatID, newChatID string) error {
	if err := checkMovedKey(transport, loginID, chatID); err != nil {
		return err
	}
	if err := checkPart("new chat ID", newChatID, false); err != nil {
		return err
	}
	e := newEnc(len(newChatID) + 2)
	e.str(newChatID)
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		lb, err := loginBucketRW(tx, transport, loginID)
		if err != nil {
			return fmt.Errorf("store: put moved group: %w", err)
		}
		mb, err := lb.CreateBucketIfNotExists(bMoved)
		if err != nil {
			return fmt.Errorf("store: put moved group: %w", err)
		}
		if err := mb.Put([]byte(chatID), e.b); err != nil {
			return fmt.Errorf("store: put moved group: %w", err)
		}
		return nil
	})
}

// MovedGroup is the chat the login's group chatID moved to (see
// PutMovedGroup); "" when it did not move.
func (db *DB) MovedGroup(transport, loginID, chatID string) (string, error) {
	if err := checkMovedKey(transport, loginID, chatID); err != nil {
		return "", err
	}
	var next string
	err := db.view(func(tx *bbolt.Tx) error {
		mb := sub(loginBucket(tx, transport, loginID), bMoved)
		if mb == nil {
			return nil
		}
		v := mb.Get([]byte(chatID))
		if v == nil {
			return nil
		}
		d := newDec(v)
		next = d.str()
		if d.err != nil {
			return fmt.Errorf("store: moved group %s: %w", chatID, d.err)
		}
		return nil
	})
	return next, err
}

func checkMovedKey(transport, loginID, chatID string) error {
	if err := checkPart("transport", transport, false); err != nil {
		return err
	}
	if err := checkPart("login ID", loginID, false); err != nil {
		return err
	}
	return checkPart("chat ID", chatID, false)
}
