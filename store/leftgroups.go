package store

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// bLeft is the per-login bucket of the groups the user left or was
// removed from: l/<chat ID> -> the condition and words a join of its
// room gets, the time it was recorded. The network does not say it
// later (it knows no such group of the user's), so without it a join
// after a restart was answered as a room that does not exist. At most
// MaxLeftGroups per login (the oldest goes); a group's record goes when
// it is a room of the user's again (DeleteLeftGroup), all with the login
// (DeleteLogin drops the login's bucket).
var bLeft = []byte("l")

// MaxLeftGroups bounds the groups left kept per login.
const MaxLeftGroups = 256

// LeftGroup is why the user is out of a group: the XMPP error condition
// a join of its room gets and the words with it, and when it was noted.
type LeftGroup struct {
	Cond string
	Text string
	At   time.Time
}

// PutLeftGroup records that the user is out of the group chatID; with
// MaxLeftGroups records already, the oldest other one goes.
func (db *DB) PutLeftGroup(ctx context.Context, transport, loginID, chatID string, l LeftGroup) error {
	if err := checkMovedKey(transport, loginID, chatID); err != nil {
		return err
	}
	e := newEnc(len(l.Cond) + len(l.Text) + 16)
	e.str(l.Cond)
	e.str(l.Text)
	e.uvarint(uint64(l.At.UnixNano()))
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		lb, err := loginBucketRW(tx, transport, loginID)
		if err != nil {
			return fmt.Errorf("store: put left group: %w", err)
		}
		gb, err := lb.CreateBucketIfNotExists(bLeft)
		if err != nil {
			return fmt.Errorf("store: put left group: %w", err)
		}
		if gb.Get([]byte(chatID)) == nil {
			err := dropOldest(gb, MaxLeftGroups, "left groups", func(v []byte) (time.Time, error) {
				l, err := decodeLeft(v)
				return l.At, err
			})
			if err != nil {
				return err
			}
		}
		if err := gb.Put([]byte(chatID), e.b); err != nil {
			return fmt.Errorf("store: put left group: %w", err)
		}
		return nil
	})
}

// decodeLeft reads a record of bLeft.
func decodeLeft(v []byte) (LeftGroup, error) {
	d := newDec(v)
	l := LeftGroup{Cond: d.str(), Text: d.str()}
	at := d.uvarint()
	if d.err != nil {
		return LeftGroup{}, d.err
	}
	l.At = time.Unix(0, int64(at))
	return l, nil
}

// LeftGroups returns the login's groups left, by chat ID; nil when there
// is none. An unreadable record is left out and logged, not an error:
// the others still answer joins (readRecords).
func (db *DB) LeftGroups(transport, loginID string) (map[string]LeftGroup, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return nil, err
	}
	if err := checkPart("login ID", loginID, false); err != nil {
		return nil, err
	}
	var out map[string]LeftGroup
	err := db.view(func(tx *bbolt.Tx) error {
		gb := sub(loginBucket(tx, transport, loginID), bLeft)
		if gb == nil {
			return nil
		}
		var err error
		out, err = readRecords(gb, "groups left", transport, loginID, func(k, v []byte) (string, LeftGroup, error) {
			l, err := decodeLeft(v)
			return string(k), l, err
		})
		return err
	})
	return out, err
}

// DeleteLeftGroup forgets that the user left the group chatID (it is a
// room of the user's again).
func (db *DB) DeleteLeftGroup(ctx context.Context, transport, loginID, chatID string) error {
	if err := checkMovedKey(transport, loginID, chatID); err != nil {
		return err
	}
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		gb := sub(loginBucket(tx, transport, loginID), bLeft)
		if gb == nil {
			return nil
		}
		if err := gb.Delete([]byte(chatID)); err != nil {
			return fmt.Errorf("store: delete left group: %w", err)
		}
		return nil
	})
}
