package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

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
// sequence number. The write is durable when it returns (logged with an
// fsync): the message may wait long, for a plugin that restarts.
func (db *DB) PutHeld(ctx context.Context, transport string, h HeldMessage) (uint64, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return 0, err
	}
	if err := checkPart("login ID", h.LoginID, false); err != nil {
		return 0, err
	}
	val := encodeHeld(h)
	var seq uint64
	err := db.submitHot(ctx, false, func(hb *hotBatch) error {
		if _, err := hb.readTx(); err != nil {
			return fmt.Errorf("store: put held message: %w", err)
		}
		seq = hb.nextHeldKey(transport)
		hb.add(hotRec{kind: recHeld, transport: transport, key: seq, val: val})
		return nil
	})
	if err != nil {
		return 0, err
	}
	return seq, nil
}

// PutSending records a message on its way to a plugin that is up, as
// PutHeld does, but lazily: logged without an fsync, so it outlives a
// crash of the process (what loses a message read from the server and not
// yet handed over), not a power cut. It is queued in call order (so keys
// follow it) and does not wait: the message goes on while it is written.
// wait returns its key once written. It is forgotten with DeleteHeld.
func (db *DB) PutSending(ctx context.Context, transport string, h HeldMessage) (wait func() (uint64, error)) {
	return db.PutLazy(ctx, transport, h).Wait
}

// PutLazy is PutSending's write, whose handle Replace and Delete take: a
// stanza recorded as read, which its send takes over, keeping its key.
// It never waits for the write.
func (db *DB) PutLazy(ctx context.Context, transport string, h HeldMessage) *HeldPut {
	p := &HeldPut{db: db, transport: transport}
	p.queue(ctx, h, func() uint64 { return 0 })
	return p
}

// HeldAt is the handle of a record already written, under key seq (one
// an earlier process left), for Replace and Delete.
func (db *DB) HeldAt(transport string, seq uint64) *HeldPut {
	p := &HeldPut{db: db, transport: transport, seq: seq}
	p.done = func() error { return nil }
	return p
}

// HeldPut is a lazy held-message write, queued; Wait may be called more
// than once.
type HeldPut struct {
	db        *DB
	transport string
	done      func() error
	seq       uint64 // set by the writer before done returns; 0 if it failed
}

// Wait waits for the write and returns its key.
func (p *HeldPut) Wait() (uint64, error) {
	if err := p.done(); err != nil {
		return 0, err
	}
	return p.seq, nil
}

// Replace writes h in place of p's record, lazily, under the same key:
// the record keeps its place in the order of records. It is queued after
// p (so the writer knows p's key by then) and does not wait; if p's write
// failed, h gets a key of its own.
func (p *HeldPut) Replace(ctx context.Context, h HeldMessage) *HeldPut {
	n := &HeldPut{db: p.db, transport: p.transport}
	n.queue(ctx, h, func() uint64 { return p.seq })
	return n
}

// Delete forgets p's record, lazily and without waiting (DeleteHeld
// waits): queued after p, it needs not wait for p's key.
func (p *HeldPut) Delete(ctx context.Context) {
	o := &op{ctx: ctx, lazy: true, done: make(chan error, 1), hot: func(hb *hotBatch) error {
		if p.seq != 0 {
			hb.add(hotRec{kind: recHeldDel, transport: p.transport, key: p.seq})
		}
		return nil
	}}
	_ = p.db.push(ctx, o) // a record left is replayed under its txn
}

// queue queues p's write of h, lazily, under key() if not 0, else under
// the transport's next key. key runs on the writer.
func (p *HeldPut) queue(ctx context.Context, h HeldMessage, key func() uint64) {
	err := checkPart("transport", p.transport, false)
	if err == nil {
		err = checkPart("login ID", h.LoginID, false)
	}
	if err != nil {
		p.done = func() error { return err }
		return
	}
	val := encodeHeld(h)
	o := &op{ctx: ctx, lazy: true, done: make(chan error, 1), hot: func(hb *hotBatch) error {
		if _, err := hb.readTx(); err != nil {
			return fmt.Errorf("store: put held message: %w", err)
		}
		k := key()
		if k == 0 {
			k = hb.nextHeldKey(p.transport)
		}
		p.seq = k
		hb.add(hotRec{kind: recHeld, transport: p.transport, key: k, val: val})
		return nil
	}}
	err = p.db.push(ctx, o)
	p.done = sync.OnceValue(func() error {
		if err != nil {
			return err
		}
		return o.await(ctx)
	})
}

// HeldMessages lists the messages held for transport's plugin, in the
// order they were held. An unreadable record is left out.
func (db *DB) HeldMessages(transport string) ([]HeldMessage, error) {
	return db.heldMessages(transport, false)
}

// HeldBefore lists, as HeldMessages, only the messages recorded before
// this store was opened: those an earlier process left.
func (db *DB) HeldBefore(transport string) ([]HeldMessage, error) {
	return db.heldMessages(transport, true)
}

func (db *DB) heldMessages(transport string, before bool) ([]HeldMessage, error) {
	if err := checkPart("transport", transport, false); err != nil {
		return nil, err
	}
	// This open's records and removals may still be only in the log (an
	// earlier open's were applied to bbolt when it opened): HeldMessages
	// waits for them, HeldBefore, read at a start while history is being
	// stored, need not (a checkpoint then delayed the commits that the
	// outbox's cleanup waits for).
	if !before {
		if err := db.Flush(context.Background()); err != nil {
			return nil, err
		}
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
	if before {
		// Keys only grow: this open's are past every earlier one. Read
		// after the records: the writer notes the first key before its
		// record can reach bbolt.
		db.heldMu.Lock()
		first := db.heldFirst[transport]
		db.heldMu.Unlock()
		if first != 0 {
			out = slices.DeleteFunc(out, func(h HeldMessage) bool { return h.Seq >= first })
		}
	}
	return out, err
}

// DeleteHeld forgets a held message: the plugin answered it. Lazy: a
// record that outlives a power cut is sent again under its txn, which the
// plugin and the bridge recognise.
func (db *DB) DeleteHeld(ctx context.Context, transport string, seq uint64) error {
	if err := checkPart("transport", transport, false); err != nil {
		return err
	}
	return db.submitHot(ctx, true, func(hb *hotBatch) error {
		hb.add(hotRec{kind: recHeldDel, transport: transport, key: seq})
		return nil
	})
}

// nextHeldKey hands out the transport's next held-message key, going on
// from bbolt's bucket sequence the first time. The read transaction must
// be open.
func (h *hotBatch) nextHeldKey(transport string) uint64 {
	k, ok := h.db.heldSeq[transport]
	if !ok {
		if b := heldBucket(h.tx, transport); b != nil {
			k = b.Sequence()
		}
	}
	k++
	if !ok {
		h.db.heldMu.Lock()
		h.db.heldFirst[transport] = k
		h.db.heldMu.Unlock()
	}
	h.db.heldSeq[transport] = k
	return k
}

// applyHeld writes a held-message record or removal into bbolt (the
// checkpoint of recHeld and recHeldDel).
func (r *hotRec) applyHeld(tx *bbolt.Tx) error {
	if r.kind == recHeldDel {
		b := heldBucket(tx, r.transport)
		if b == nil {
			return nil
		}
		if err := b.Delete(u64(r.key)); err != nil {
			return fmt.Errorf("store: delete held message: %w", err)
		}
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bHeld)
	if err == nil {
		b, err = b.CreateBucketIfNotExists([]byte(r.transport))
	}
	if err == nil && r.key > b.Sequence() {
		err = b.SetSequence(r.key)
	}
	if err == nil {
		err = b.Put(u64(r.key), r.val)
	}
	if err != nil {
		return fmt.Errorf("store: put held message: %w", err)
	}
	return nil
}

func heldBucket(tx *bbolt.Tx, transport string) *bbolt.Bucket {
	return sub(tx.Bucket(bHeld), []byte(transport))
}
