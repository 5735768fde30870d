package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

func checkTxnKey(transport, loginID, txnID string) error {
	if err := checkPart("transport", transport, false); err != nil {
		return err
	}
	if err := checkPart("login ID", loginID, false); err != nil {
		return err
	}
	return checkPart("txn ID", txnID, false)
}

func decodeTxn(v []byte) (time.Time, string, error) {
	d := newDec(v)
	at := d.time()
	remote := d.str()
	if d.err != nil {
		return time.Time{}, "", fmt.Errorf("store: txn: %w", d.err)
	}
	return at, remote, nil
}

// PutTxn records that the outgoing send txnID (the XMPP origin-id) of a
// login became remote message remoteID, so a retried send is answered with
// the same result instead of being sent twice. remoteID may be empty for a
// network that returns no message ID. PruneMessages drops txns by the time
// they were put.
func (db *DB) PutTxn(ctx context.Context, transport, loginID, txnID, remoteID string) error {
	if err := checkTxnKey(transport, loginID, txnID); err != nil {
		return err
	}
	if err := checkPart("remote message ID", remoteID, true); err != nil {
		return err
	}
	r := hotRec{kind: recTxn, transport: transport, login: loginID, id: txnID, remote: remoteID, at: time.Now()}
	return db.submitHot(ctx, false, func(h *hotBatch) error {
		h.add(r)
		return nil
	})
}

// prepTxn encodes a txn record in the caller's goroutine and returns the
// bucket work for the writer.
func prepTxn(txnID, remoteID string, now time.Time) func(c *loginCache, transport, loginID string) error {
	key := []byte(txnID)
	e := newEnc(len(remoteID) + 12)
	e.time(now)
	e.str(remoteID)
	val, akey := e.b, ageKey(now, ageTxn, key)
	return func(c *loginCache, transport, loginID string) error {
		t, err := c.bucket(transport, loginID, bTxn)
		if err != nil {
			return fmt.Errorf("store: put txn: %w", err)
		}
		a, err := c.bucket(transport, loginID, bAge)
		if err != nil {
			return fmt.Errorf("store: put txn: %w", err)
		}
		if v := t.Get(key); v != nil {
			if at, _, err := decodeTxn(v); err == nil {
				if err := a.Delete(ageKey(at, ageTxn, key)); err != nil {
					return fmt.Errorf("store: put txn: %w", err)
				}
			}
		}
		if err := t.Put(key, val); err != nil {
			return fmt.Errorf("store: put txn: %w", err)
		}
		if err := a.Put(akey, []byte{}); err != nil {
			return fmt.Errorf("store: put txn: %w", err)
		}
		return nil
	}
}

// PutSent records what the bridge keeps of a message the user sent and
// the network accepted, in one write: ref in the message map and, when
// txnID is not empty, the txn (as PutTxn, with ref.RemoteID). It costs one
// store operation where PutMessages then PutTxn cost two, each waiting for
// its own commit.
func (db *DB) PutSent(ctx context.Context, ref MessageRef, txnID string) error {
	stage, err := prepSent(ref, txnID)
	if err != nil {
		return err
	}
	// Lazy: the message already went out; losing this record to a power
	// cut only means a later correction of it is refused.
	return db.submitHot(ctx, true, func(h *hotBatch) error {
		stage(h)
		return nil
	})
}

// prepSent checks what PutSent records and returns the writer's part,
// which stages it.
func prepSent(ref MessageRef, txnID string) (func(h *hotBatch), error) {
	now := time.Now()
	if ref.Time.IsZero() {
		ref.Time = now
	}
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	ref.Meta = bytes.Clone(ref.Meta)
	if txnID != "" {
		if err := checkTxnKey(ref.Transport, ref.LoginID, txnID); err != nil {
			return nil, err
		}
	}
	return func(h *hotBatch) {
		h.add(hotRec{kind: recRef, ref: ref})
		if txnID != "" {
			h.add(hotRec{kind: recTxn, transport: ref.Transport, login: ref.LoginID, id: txnID, remote: ref.RemoteID, at: now})
		}
	}, nil
}

// GetTxn returns the remote message ID recorded for txnID, or ErrNotFound.
func (db *DB) GetTxn(transport, loginID, txnID string) (string, error) {
	if err := checkTxnKey(transport, loginID, txnID); err != nil {
		return "", err
	}
	if r, ok := db.hotTxn(hkey(transport, loginID, txnID)); ok {
		return r, nil
	}
	var remote string
	err := db.view(func(tx *bbolt.Tx) error {
		var v []byte
		if t := sub(loginBucket(tx, transport, loginID), bTxn); t != nil {
			v = t.Get([]byte(txnID))
		}
		if v == nil {
			// Every new message misses here: no error built per call.
			return ErrNotFound
		}
		var err error
		_, remote, err = decodeTxn(v)
		return err
	})
	return remote, err
}

// SentBefore reports whether the user's message txnID in a chat was
// already handed to the network: a txn recorded for it (PutTxn, or
// PutSent with a txn), or a message of the user in the map that carries
// txnID as one of its XMPP IDs (PutSent without a txn: the txn is the
// message's origin-id or id, so one record serves both). One read
// transaction for both.
func (db *DB) SentBefore(transport, loginID, chatID, txnID string) (bool, error) {
	if err := checkTxnKey(transport, loginID, txnID); err != nil {
		return false, err
	}
	if err := checkPart("chat ID", chatID, true); err != nil {
		return false, err
	}
	if _, ok := db.hotTxn(hkey(transport, loginID, txnID)); ok {
		return true, nil
	}
	mine := func(r MessageRef) bool { return r.FromMe && contains(xmppIDs(r), txnID) }
	remote, inLog := db.hotXMPP(hkey(transport, loginID, chatID, txnID))
	if inLog {
		if r, ok := db.hotRef(hkey(transport, loginID, chatID, remote)); ok {
			return mine(r), nil
		}
	}
	found := false
	err := db.view(func(tx *bbolt.Tx) error {
		lb := loginBucket(tx, transport, loginID)
		if t := sub(lb, bTxn); t != nil && t.Get([]byte(txnID)) != nil {
			found = true
			return nil
		}
		if !inLog {
			x := sub(lb, bXMPP)
			if x == nil {
				return nil
			}
			v := x.Get(comp(chatID, txnID))
			if v == nil {
				return nil
			}
			remote = string(v)
		}
		if r, ok := db.hotRef(hkey(transport, loginID, chatID, remote)); ok {
			found = mine(r)
			return nil
		}
		r, err := lookupRemote(tx, transport, loginID, chatID, remote)
		found = err == nil && mine(r)
		return nil
	})
	return found, err
}
