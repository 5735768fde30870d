package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"
)

// MoveResult says what MoveContact moved.
type MoveResult struct {
	// HadOld: the old ID was a puppet (it is gone now).
	HadOld bool
	// OldName is the old puppet's name ("" without one).
	OldName string
	// Messages, Dedup: message map entries and dedup keys moved to the
	// new chat ID (those the new chat had already stay as they were).
	Messages, Dedup int
	// Cursor: the old chat's backfill cursor became the new chat's.
	Cursor bool
	// Deadlines, ReadTimers: disappearing messages' deadlines and
	// read-started timers moved to the new chat ID (expiry.go's
	// moveChatExpiries says which of both chats' stay).
	Deadlines, ReadTimers int
	// Alias is the user ID the new ID's XEP-0421 occupant-ids are
	// derived from (occupant_alias.go): the first ID of its chain of
	// moves; "" for the new ID's own.
	Alias string
}

// MoveOption changes what MoveContact does.
type MoveOption int

const (
	// MoveKnownOnly: p is put only where oldID or p.UserID is a puppet
	// already. The move of someone who is no contact under either ID (a
	// group's member, a stranger) moves their chat and occupant-ids and
	// makes no puppet: a puppet put, then deleted in a second write, was
	// left by a crash between the two.
	MoveKnownOnly MoveOption = iota + 1
)

// MoveContact records that the contact known as oldID is p.UserID from now
// on (contract v2's IdentityEvent): the puppet oldID is deleted and p put,
// and the direct chat oldID becomes the chat p.UserID: its message map
// entries (with their XMPP IDs, metadata and age), dedup keys, backfill
// cursor and disappearing messages' deadlines and read-started timers
// (with their moves' stamps); p.UserID's occupant-ids become oldID's, or
// stay its own, as occ says (occupant_alias.go). All in one transaction,
// so a crash leaves the move done or not begun; moving again what was
// moved finds nothing under oldID and only puts p again. Where the new
// chat has an entry of its own for the same remote message or XMPP ID, it
// keeps it (deadlines: see moveChatExpiries). It runs after a checkpoint, so
// that it also moves what is still only in the write-ahead log. opts may
// hold MoveKnownOnly.
func (db *DB) MoveContact(ctx context.Context, oldID string, p Puppet, occ OccupantMove, opts ...MoveOption) (MoveResult, error) {
	if err := checkPuppetKey(p.Transport, p.LoginID, p.UserID); err != nil {
		return MoveResult{}, err
	}
	if err := checkPart("old user ID", oldID, false); err != nil {
		return MoveResult{}, err
	}
	if oldID == p.UserID {
		return MoveResult{}, fmt.Errorf("%w: the contact's old and new IDs are both %q", ErrInvalid, oldID)
	}
	if p.Updated.IsZero() {
		p.Updated = time.Now()
	}
	e := newEnc(len(p.Name) + 20)
	e.str(p.Name)
	e.time(p.Updated)
	val := e.b
	var res MoveResult
	err := db.submitBarrier(ctx, func(tx *bbolt.Tx) error {
		res = MoveResult{}
		lb, err := loginBucketRW(tx, p.Transport, p.LoginID)
		if err != nil {
			return fmt.Errorf("store: move contact: %w", err)
		}
		pb, err := lb.CreateBucketIfNotExists(bPuppets)
		if err != nil {
			return fmt.Errorf("store: move contact: %w", err)
		}
		hadNew := pb.Get([]byte(p.UserID)) != nil
		oldAlias, err := aliasOf(lb, oldID)
		if err != nil {
			return fmt.Errorf("store: move contact: %w", err)
		}
		newAlias, err := aliasOf(lb, p.UserID)
		if err != nil {
			return fmt.Errorf("store: move contact: %w", err)
		}
		inherit := occ == OccupantFollow || occ == OccupantAuto &&
			(pb.Get([]byte(oldID)) != nil || oldAlias != "" || !hadNew && newAlias == "")
		if res.Alias, err = moveAlias(lb, oldID, p.UserID, inherit); err != nil {
			return fmt.Errorf("store: move contact's occupant alias: %w", err)
		}
		if v := pb.Get([]byte(oldID)); v != nil {
			res.HadOld = true
			if old, err := decodePuppet(p.Transport, p.LoginID, oldID, v); err == nil {
				res.OldName = old.Name
			}
			if err := pb.Delete([]byte(oldID)); err != nil {
				return fmt.Errorf("store: move contact: %w", err)
			}
		}
		// The old ID's avatar record goes with its puppet: the new ID
		// is fetched again once, under its own.
		if err := dropAvatar(lb, []byte(oldID)); err != nil {
			return err
		}
		if hadNew || res.HadOld || !slices.Contains(opts, MoveKnownOnly) {
			if err := pb.Put([]byte(p.UserID), val); err != nil {
				return fmt.Errorf("store: move contact: %w", err)
			}
		}
		if res.Messages, err = moveRefs(lb, oldID, p.UserID); err != nil {
			return fmt.Errorf("store: move contact's messages: %w", err)
		}
		if res.Dedup, err = moveDedup(lb, oldID, p.UserID); err != nil {
			return fmt.Errorf("store: move contact's dedup keys: %w", err)
		}
		// The deadlines too: a keep, an undo or a read after the move
		// names the chat by its new ID, and pruneKept looks a kept
		// message's map entry up under its deadline's chat.
		if res.Deadlines, res.ReadTimers, err = moveChatExpiries(tx, lb, p.Transport, p.LoginID, oldID, p.UserID); err != nil {
			return fmt.Errorf("store: move contact's deadlines: %w", err)
		}
		if cb := lb.Bucket(bCursors); cb != nil {
			if v := cb.Get([]byte(oldID)); v != nil {
				if cb.Get([]byte(p.UserID)) == nil {
					if err := cb.Put([]byte(p.UserID), bytes.Clone(v)); err != nil {
						return fmt.Errorf("store: move contact's cursor: %w", err)
					}
					res.Cursor = true
				}
				if err := cb.Delete([]byte(oldID)); err != nil {
					return fmt.Errorf("store: move contact's cursor: %w", err)
				}
			}
		}
		return nil
	})
	if err != nil {
		// res is not read: on ctx's end the writer may still be filling it.
		return MoveResult{}, err
	}
	return res, nil
}

// chatEntries lists the keys and values of b under one chat (keys
// comp(chat, ...)), copied: the caller then changes b.
func chatEntries(b *bbolt.Bucket, chat string) (keys, vals [][]byte) {
	if b == nil {
		return nil, nil
	}
	prefix := comp(chat)
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		keys, vals = append(keys, bytes.Clone(k)), append(vals, bytes.Clone(v))
	}
	return keys, vals
}

// moveRefs moves the message map entries of chat from to chat to, with
// their XMPP IDs and age index entries.
func moveRefs(lb *bbolt.Bucket, from, to string) (int, error) {
	m := lb.Bucket(bMsgs)
	keys, vals := chatEntries(m, from)
	if len(keys) == 0 {
		return 0, nil
	}
	x, err := lb.CreateBucketIfNotExists(bXMPP)
	if err != nil {
		return 0, err
	}
	a, err := lb.CreateBucketIfNotExists(bAge)
	if err != nil {
		return 0, err
	}
	n := 0
	for i, k := range keys {
		parts, err := splitComp(k)
		if err != nil || len(parts) != 2 {
			return n, fmt.Errorf("%w: message key", ErrCorrupt)
		}
		remote := parts[1]
		ref, err := decodeRef("", "", from, remote, vals[i])
		if err != nil {
			return n, err
		}
		// The old entry and its indexes go, whatever becomes of it.
		for _, id := range xmppIDs(ref) {
			xk := comp(from, id)
			if string(x.Get(xk)) == remote {
				if err := x.Delete(xk); err != nil {
					return n, err
				}
			}
		}
		if err := a.Delete(ageKey(ref.Time, ageMsg, k)); err != nil {
			return n, err
		}
		if err := m.Delete(k); err != nil {
			return n, err
		}
		nk := comp(to, remote)
		if m.Get(nk) != nil {
			continue // the new chat has this message already
		}
		if err := m.Put(nk, vals[i]); err != nil {
			return n, err
		}
		for _, id := range xmppIDs(ref) {
			if xk := comp(to, id); x.Get(xk) == nil {
				if err := x.Put(xk, []byte(remote)); err != nil {
					return n, err
				}
			}
		}
		if err := a.Put(ageKey(ref.Time, ageMsg, nk), []byte{}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// moveDedup moves the dedup keys of chat from to chat to, with their age
// index entries.
func moveDedup(lb *bbolt.Bucket, from, to string) (int, error) {
	d := lb.Bucket(bDedup)
	keys, vals := chatEntries(d, from)
	if len(keys) == 0 {
		return 0, nil
	}
	a, err := lb.CreateBucketIfNotExists(bAge)
	if err != nil {
		return 0, err
	}
	n := 0
	for i, k := range keys {
		parts, err := splitComp(k)
		if err != nil || len(parts) != 2 {
			return n, fmt.Errorf("%w: dedup key", ErrCorrupt)
		}
		dec := newDec(vals[i])
		at := dec.time()
		if dec.err != nil {
			return n, fmt.Errorf("%w: dedup key time", ErrCorrupt)
		}
		if err := a.Delete(ageKey(at, ageDedup, k)); err != nil {
			return n, err
		}
		if err := d.Delete(k); err != nil {
			return n, err
		}
		nk := comp(to, parts[1])
		if d.Get(nk) != nil {
			continue
		}
		if err := d.Put(nk, vals[i]); err != nil {
			return n, err
		}
		if err := a.Put(ageKey(at, ageDedup, nk), []byte{}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
