package store

import (
	"context"
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"
)

// A user's message the gateway holds while its plugin is not ready: XEP-0114
// has no acknowledgement, so the server will not send it again if the
// gateway dies meanwhile. It is kept here until the plugin answered it, and
// sent again at the next start. Older stores have no such bucket.

// bHeld holds, per transport, the held messages by a sequence number, so
// that bbolt's order is the order they were held in.
var bHeld = []byte("held-messages")

// HeldMessage is a user's message held for the plugin.
type HeldMessage struct {
	// Seq is set by PutHeld; DeleteHeld takes it.
	Seq               uint64
	LoginID, ChatID   string
	UserJID           string // bare: where an error of a replay goes
	To                string // the contact's JID the user wrote to
	Txn, OriginID, ID string
	Body              string
	Receipt, Markable bool
	Command           []byte // the plugin command, marshalled
	// Room: sent to a room (ChatID a group's; To the room's JID), whose
	// result is reflected there. Records from before the field are not.
	Room bool
	// Stanza is the user's stanza as read: what a room's reflection
	// repeats, and what an error answers (to the full JID it came from).
	// Records from before the field have none.
	Stanza []byte
}

func encodeHeld(h HeldMessage) []byte {
	e := newEnc(len(h.Body) + len(h.Command) + len(h.Stanza) + 64)
	for _, s := range []string{h.LoginID, h.ChatID, h.UserJID, h.To, h.Txn, h.OriginID, h.ID, h.Body} {
		e.str(s)
	}
	e.bool(h.Receipt)
	e.bool(h.Markable)
	e.bytes(h.Command)
	e.bool(h.Room)
	e.bytes(h.Stanza)
	return e.b
}

func decodeHeld(seq uint64, v []byte) (HeldMessage, error) {
	d := newDec(v)
	h := HeldMessage{Seq: seq}
	for _, p := range []*string{&h.LoginID, &h.ChatID, &h.UserJID, &h.To, &h.Txn, &h.OriginID, &h.ID, &h.Body} {
		*p = d.str()
	}
	h.Receipt = d.bool()
	h.Markable = d.bool()
	h.Command = d.bytes()
	if d.err == nil && len(d.b) > 0 { // records from before these fields end here
		h.Room = d.bool()
		h.Stanza = d.bytes()
	}
	if d.err != nil {
		return HeldMessage{}, fmt.Errorf("store: held message: %w", d.err)
	}
	return h, nil
}

// PutHeld records a message held for transport's plugin and returns its
// sequence number. It is a bbolt write of its own: only a message that
// waits for a plugin that is not ready pays for it.
func (db *DB) PutHeld(ctx context.Context, transport string, h HeldMessage) (uint64, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return 0, err
	}
	if err := checkPart("login ID", h.LoginID, false); err != nil {
		return 0, err
	}
	val := encodeHeld(h)
	var seq uint64
	err := db.submit(ctx, func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bHeld)
		if err == nil {
			b, err = b.CreateBucketIfNotExists([]byte(transport))
		}
		if err == nil {
			seq, err = b.NextSequence()
		}
		if err == nil {
			err = b.Put(u64(seq), val)
		}
		if err != nil {
			return fmt.Errorf("store: put held message: %w", err)
		}
		return nil
	})
	return seq, err
}

// HeldMessages lists the messages held for transport's plugin, in the
// order they were held. An unreadable record is left out.
func (db *DB) HeldMessages(transport string) ([]HeldMessage, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return nil, err
	}
	var out []HeldMessage
	err := db.view(func(tx *bbolt.Tx) error {
		b := heldBucket(tx, transport)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return nil
			}
			h, err := decodeHeld(binary.BigEndian.Uint64(k), v)
			if err == nil {
				out = append(out, h)
			}
			return nil
		})
	})
	return out, err
}

// DeleteHeld forgets a held message: the plugin answered it.
func (db *DB) DeleteHeld(ctx context.Context, transport string, seq uint64) error {
	if err := checkPart("transport", transport, false); err != nil {
		return err
	}
	return db.submit(ctx, func(tx *bbolt.Tx) error {
		b := heldBucket(tx, transport)
		if b == nil {
			return nil
		}
		if err := b.Delete(u64(seq)); err != nil {
			return fmt.Errorf("store: delete held message: %w", err)
		}
		return nil
	})
}

func heldBucket(tx *bbolt.Tx, transport string) *bbolt.Bucket {
	return sub(tx.Bucket(bHeld), []byte(transport))
}
