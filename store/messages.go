package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// MessageRef maps one remote message to the XMPP IDs it was delivered or
// sent with, per (Transport, LoginID, ChatID), so that corrections,
// reactions, receipts and retractions work after a restart.
type MessageRef struct {
	Transport, LoginID, ChatID, RemoteID string
	// XMPP IDs: XEP-0359 origin-id, stanza-id, and the stanza's id
	// attribute. Empty ones are not indexed.
	OriginID, StanzaID, ID string
	FromMe                 bool
	// Time is the message's time; PruneMessages ages the entry by it. A zero
	// Time is stored as the time of the put.
	Time time.Time
	// Meta is the plugin's small opaque metadata of the message (contract
	// v2's Event.meta and CommandResult.meta), handed back to it with
	// commands naming the message. At most MaxMeta bytes; any bytes,
	// NUL included. nil when none (and for entries stored before v2).
	Meta []byte
	// Files is how many files the network's message had, and Text
	// whether it had text: the gateway delivers each file as a stanza of
	// its own after the text's, with the ids ID-1, ID-2... (the first
	// file takes ID when there is no text), which a retraction must
	// reach too. 0 for the user's own messages and older entries. Text
	// is kept only with Files.
	Files int
	Text  bool
	// Caption is the XMPP id of the message a caption, added by a later
	// edit of a message delivered as its file alone, went as (the
	// gateway's caption_edit.go), indexed like the other XMPP IDs: a
	// reply or reaction to it names this message. CaptionFrom is the
	// remote ID of that edit. Both "" when none; kept only with Files.
	Caption, CaptionFrom string
	// Partly marks the user's message the network took only in part (a
	// file of it failed): a resend of it is told so, not taken as sent.
	Partly bool
	// AskedKnown says that AskedReceipt and AskedMarkers tell what the
	// user's client asked of the contact with the user's own message: a
	// XEP-0184 receipt, XEP-0333 markers. Kept here, with the entry and
	// as long, so that a contact's delivery or read after a restart
	// still reaches the client; false for entries stored before they
	// were kept (the gateway decides what unknown means).
	AskedKnown, AskedReceipt, AskedMarkers bool
}

// MaxMeta is the largest MessageRef.Meta accepted, in bytes: the plugin
// contract's LIMIT_META_BYTES (the bridge's TestStoreKeepsTheContractsLimits).
const MaxMeta = 1024

// refRec is a MessageRef validated and encoded in the caller's goroutine,
// so the writer only does bucket work and never reads caller memory.
type refRec struct {
	transport, loginID, chatID string
	remote                     []byte   // value of the x entries
	mkey                       []byte   // {chat, remote ID}
	val                        []byte   // encoded ref
	xkeys                      [][]byte // {chat, XMPP ID}, distinct
	akey                       []byte   // age index key
}

// checkChatKey validates the (transport, login, chat) a message belongs
// to. The chat ID may be empty: it is a chat like any other.
func checkChatKey(transport, loginID, chatID string) error {
	if err := checkPart("transport", transport, false); err != nil {
		return err
	}
	if err := checkPart("login ID", loginID, false); err != nil {
		return err
	}
	return checkPart("chat ID", chatID, true)
}

func checkRefKey(transport, loginID, chatID, remoteID string) error {
	if err := checkChatKey(transport, loginID, chatID); err != nil {
		return err
	}
	return checkPart("remote message ID", remoteID, false)
}

// checkRef validates r as prepRef would, without encoding it: the
// callers that only need the check (every message on its way in) would
// otherwise build and drop a record each time.
func checkRef(r MessageRef) error {
	if err := checkRefKey(r.Transport, r.LoginID, r.ChatID, r.RemoteID); err != nil {
		return err
	}
	for _, id := range [...]struct{ what, v string }{
		{"origin-id", r.OriginID}, {"stanza-id", r.StanzaID}, {"id", r.ID},
		{"caption id", r.Caption}, {"caption's remote ID", r.CaptionFrom},
	} {
		if err := checkPart(id.what, id.v, true); err != nil {
			return err
		}
	}
	if r.Files == 0 && (r.Caption != "" || r.CaptionFrom != "") {
		return fmt.Errorf("%w: message %q has a caption message but no file", ErrInvalid, r.RemoteID)
	}
	if len(r.Meta) > MaxMeta {
		return fmt.Errorf("%w: metadata of message %q is %d bytes, longer than %d", ErrInvalid, r.RemoteID, len(r.Meta), MaxMeta)
	}
	return nil
}

func prepRef(r MessageRef, now time.Time) (*refRec, error) {
	if err := checkRef(r); err != nil {
		return nil, err
	}
	if r.Time.IsZero() {
		r.Time = now
	}
	e := newEnc(len(r.OriginID) + len(r.StanzaID) + len(r.ID) + len(r.Meta) + len(r.Caption) + len(r.CaptionFrom) + 30)
	e.str(r.OriginID)
	e.str(r.StanzaID)
	e.str(r.ID)
	e.bool(r.FromMe)
	e.time(r.Time)
	encodeRefTail(e, r)
	rec := &refRec{
		transport: r.Transport,
		loginID:   r.LoginID,
		chatID:    r.ChatID,
		remote:    []byte(r.RemoteID),
		mkey:      comp(r.ChatID, r.RemoteID),
		val:       e.b,
	}
	rec.akey = ageKey(r.Time, ageMsg, rec.mkey)
	for _, id := range xmppIDs(r) {
		rec.xkeys = append(rec.xkeys, comp(r.ChatID, id))
	}
	return rec, nil
}

// xmppIDs returns the distinct non-empty XMPP IDs of r (clients often use
// the same value for id and origin-id).
func xmppIDs(r MessageRef) []string {
	var ids []string
	for _, id := range [...]string{r.OriginID, r.StanzaID, r.ID, r.Caption} {
		if id != "" && !contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// encodeRefTail writes what a ref may have beyond its IDs, sender and
// time, each part only when it or a later one is set, so that an entry
// without reads as before the part existed (the message map's values and
// the log's records alike).
func encodeRefTail(e *enc, r MessageRef) {
	parts := 0 // how many of the parts below are written
	switch {
	case r.AskedKnown || r.AskedReceipt || r.AskedMarkers:
		parts = 5
	case r.Partly:
		parts = 4
	case r.Files > 0 && (r.Caption != "" || r.CaptionFrom != ""):
		parts = 3
	case r.Files > 0:
		parts = 2
	case len(r.Meta) > 0:
		parts = 1
	}
	if parts >= 1 { // an entry without stays as before v2
		e.bytes(r.Meta)
	}
	if parts >= 2 {
		text := uint64(0)
		if r.Text {
			text = 1
		}
		e.uvarint(uint64(r.Files)<<1 | text)
	}
	if parts >= 3 {
		e.str(r.Caption)
		e.str(r.CaptionFrom)
	}
	if parts >= 4 {
		e.bool(r.Partly)
	}
	if parts >= 5 {
		e.uvarint(askedBits(r))
	}
}

// askedBits packs what the user's client asked of the contact (the
// ref's Asked fields) into the bits of one part.
func askedBits(r MessageRef) uint64 {
	var v uint64
	for i, b := range [...]bool{r.AskedKnown, r.AskedReceipt, r.AskedMarkers} {
		if b {
			v |= 1 << i
		}
	}
	return v
}

// decodeRefTail reads what encodeRefTail wrote into r.
func decodeRefTail(d *dec, r *MessageRef) {
	if len(d.b) > 0 { // entries stored before v2 end here
		if r.Meta = d.bytes(); len(r.Meta) == 0 {
			r.Meta = nil // written only for the files after it
		}
	}
	if len(d.b) > 0 { // and those of a message without files here
		v := d.uvarint()
		r.Files, r.Text = int(v>>1), v&1 == 1
	}
	if len(d.b) > 0 { // and those without a caption added here
		r.Caption = d.str()
		r.CaptionFrom = d.str()
	}
	if len(d.b) > 0 { // and those of a message the network took whole here
		r.Partly = d.bool()
	}
	if len(d.b) > 0 { // and those whose client's asks were not kept here
		v := d.uvarint()
		r.AskedKnown, r.AskedReceipt, r.AskedMarkers = v&1 != 0, v&2 != 0, v&4 != 0
	}
}

func decodeRef(transport, loginID, chatID, remoteID string, v []byte) (MessageRef, error) {
	d := newDec(v)
	r := MessageRef{Transport: transport, LoginID: loginID, ChatID: chatID, RemoteID: remoteID}
	r.OriginID = d.str()
	r.StanzaID = d.str()
	r.ID = d.str()
	r.FromMe = d.bool()
	r.Time = d.time()
	decodeRefTail(d, &r)
	if d.err != nil {
		return MessageRef{}, fmt.Errorf("store: message %s in %s/%s/%s: %w", remoteID, transport, loginID, chatID, d.err)
	}
	return r, nil
}

// put writes the ref and its indexes. Replacing a ref removes the index
// entries of the old version that nothing else claimed since.
func (r *refRec) put(c *loginCache) error {
	var bs [3]*bbolt.Bucket
	for i, name := range [...][]byte{bMsgs, bXMPP, bAge} {
		var err error
		if bs[i], err = c.bucket(r.transport, r.loginID, name); err != nil {
			return fmt.Errorf("store: put message: %w", err)
		}
	}
	m, x, a := bs[0], bs[1], bs[2]
	if v := m.Get(r.mkey); v != nil {
		if old, err := decodeRef("", "", r.chatID, "", v); err == nil {
			for _, id := range xmppIDs(old) {
				k := comp(r.chatID, id)
				if !containsKey(r.xkeys, k) && bytes.Equal(x.Get(k), r.remote) {
					if err := x.Delete(k); err != nil {
						return fmt.Errorf("store: put message: %w", err)
					}
				}
			}
			if ak := ageKey(old.Time, ageMsg, r.mkey); !bytes.Equal(ak, r.akey) {
				if err := a.Delete(ak); err != nil {
					return fmt.Errorf("store: put message: %w", err)
				}
			}
		}
	}
	if err := m.Put(r.mkey, r.val); err != nil {
		return fmt.Errorf("store: put message: %w", err)
	}
	for _, k := range r.xkeys {
		if err := x.Put(k, r.remote); err != nil {
			return fmt.Errorf("store: put message: %w", err)
		}
	}
	if err := a.Put(r.akey, []byte{}); err != nil {
		return fmt.Errorf("store: put message: %w", err)
	}
	return nil
}

func containsKey(keys [][]byte, k []byte) bool {
	for _, x := range keys {
		if bytes.Equal(x, k) {
			return true
		}
	}
	return false
}

// PutMessages stores message map entries, all in one transaction: either
// all are stored or none. Putting a RemoteID again replaces its entry. An
// XMPP ID already mapped to another remote message in the same chat now
// maps to this one (last write wins).
func (db *DB) PutMessages(ctx context.Context, refs []MessageRef) error {
	if len(refs) == 0 {
		return nil
	}
	now := time.Now()
	recs := make([]hotRec, len(refs))
	for i, r := range refs {
		if r.Time.IsZero() {
			r.Time = now
		}
		if err := checkRef(r); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
		r.Meta = bytes.Clone(r.Meta) // the caller may reuse it once we return
		recs[i] = hotRec{kind: recRef, ref: r}
	}
	return db.submitHot(ctx, false, func(h *hotBatch) error {
		for _, r := range recs {
			h.add(r)
		}
		return nil
	})
}

// LookupRemote returns the entry of a remote message ID, or ErrNotFound.
func (db *DB) LookupRemote(transport, loginID, chatID, remoteID string) (MessageRef, error) {
	if err := checkRefKey(transport, loginID, chatID, remoteID); err != nil {
		return MessageRef{}, err
	}
	if r, ok := db.hotRef(hkey(transport, loginID, chatID, remoteID)); ok {
		r.Meta = bytes.Clone(r.Meta) // the log's, until a checkpoint writes it
		return r, nil
	}
	var r MessageRef
	err := db.view(func(tx *bbolt.Tx) error {
		var err error
		r, err = lookupRemote(tx, transport, loginID, chatID, remoteID)
		return err
	})
	return r, err
}

func lookupRemote(tx *bbolt.Tx, transport, loginID, chatID, remoteID string) (MessageRef, error) {
	var v []byte
	if m := sub(loginBucket(tx, transport, loginID), bMsgs); m != nil {
		v = m.Get(comp(chatID, remoteID))
	}
	if v == nil {
		return MessageRef{}, fmt.Errorf("%w: message %s in chat %s of login %s on %s", ErrNotFound, remoteID, chatID, loginID, transport)
	}
	return decodeRef(transport, loginID, chatID, remoteID, v)
}

// LookupXMPP returns the entry whose origin-id, stanza-id or id is xmppID
// in that chat, or ErrNotFound.
func (db *DB) LookupXMPP(transport, loginID, chatID, xmppID string) (MessageRef, error) {
	if err := checkChatKey(transport, loginID, chatID); err != nil {
		return MessageRef{}, err
	}
	if err := checkPart("XMPP message ID", xmppID, false); err != nil {
		return MessageRef{}, err
	}
	notFound := fmt.Errorf("%w: XMPP message %s in chat %s of login %s on %s", ErrNotFound, xmppID, chatID, loginID, transport)
	// The newest entry wins: the log's index, then bbolt's. A ref put again
	// without this ID no longer answers to it (put drops the index entry
	// at the checkpoint; until then it is still in bbolt).
	remote, ok := db.hotXMPP(hkey(transport, loginID, chatID, xmppID))
	if !ok {
		err := db.view(func(tx *bbolt.Tx) error {
			if x := sub(loginBucket(tx, transport, loginID), bXMPP); x != nil {
				if v := x.Get(comp(chatID, xmppID)); v != nil {
					remote, ok = string(v), true
				}
			}
			return nil
		})
		if err != nil {
			return MessageRef{}, err
		}
		if !ok {
			return MessageRef{}, notFound
		}
	}
	r, err := db.LookupRemote(transport, loginID, chatID, remote)
	if err != nil {
		return MessageRef{}, err
	}
	if !contains(xmppIDs(r), xmppID) {
		return MessageRef{}, notFound
	}
	return r, nil
}

// PruneMessages deletes message map entries whose Time is before
// olderThan, and dedup keys and txns recorded before it, and then the
// records of messages kept for good whose entry is gone. It works in
// chunks of separate transactions, each queued behind other writers, so
// live traffic is never blocked for long. It returns how many message map
// entries it deleted, also when it stops early on an error or ctx.
func (db *DB) PruneMessages(ctx context.Context, olderThan time.Time) (int, error) {
	cut := timeKey(olderThan)
	total := 0
	for {
		var n int
		var more bool
		// A barrier: what is pruned includes what is still only logged.
		err := db.submitBarrier(ctx, func(tx *bbolt.Tx) error {
			var err error
			n, more, err = pruneChunk(tx, cut, db.pruneChunk)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if !more {
			break
		}
	}
	// The messages kept for good go with their map entries (expiry.go).
	err := db.submitBarrier(ctx, func(tx *bbolt.Tx) error {
		_, err := pruneKept(tx)
		return err
	})
	return total, err
}

// pruneChunk deletes up to limit aged records older than cut. msgs counts
// the message map entries among them; more reports that the limit was hit.
func pruneChunk(tx *bbolt.Tx, cut []byte, limit int) (msgs int, more bool, err error) {
	type login struct{ transport, id []byte }
	var logins []login
	data := tx.Bucket(bData)
	// Names first, work after: no changes under a running cursor.
	err = data.ForEachBucket(func(t []byte) error {
		return data.Bucket(t).ForEachBucket(func(l []byte) error {
			logins = append(logins, login{bytes.Clone(t), bytes.Clone(l)})
			return nil
		})
	})
	if err != nil {
		return 0, false, fmt.Errorf("store: prune: %w", err)
	}
	budget := limit
	for _, l := range logins {
		lb := data.Bucket(l.transport).Bucket(l.id)
		a := lb.Bucket(bAge)
		if a == nil {
			continue
		}
		var old [][]byte
		c := a.Cursor()
		for k, _ := c.First(); k != nil && len(old) < budget; k, _ = c.Next() {
			if len(k) <= timeKeyLen || bytes.Compare(k[:timeKeyLen], cut) >= 0 {
				break
			}
			old = append(old, bytes.Clone(k))
		}
		for _, k := range old {
			n, err := pruneOne(lb, k)
			if err != nil {
				return msgs, false, fmt.Errorf("store: prune %s/%s: %w", l.transport, l.id, err)
			}
			msgs += n
			if err := a.Delete(k); err != nil {
				return msgs, false, fmt.Errorf("store: prune: %w", err)
			}
		}
		if budget -= len(old); budget <= 0 {
			return msgs, true, nil
		}
	}
	return msgs, false, nil
}

// pruneOne deletes the record an age index key points to, if that record
// still has the age the key says. It returns 1 for a deleted message ref.
func pruneOne(lb *bbolt.Bucket, ak []byte) (int, error) {
	when, kind, key := ak[:timeKeyLen], ak[timeKeyLen], ak[timeKeyLen+1:]
	switch kind {
	case ageMsg:
		m, x := lb.Bucket(bMsgs), lb.Bucket(bXMPP)
		if m == nil {
			return 0, nil
		}
		v := m.Get(key)
		if v == nil {
			return 0, nil
		}
		parts, err := splitComp(key)
		if err != nil || len(parts) != 2 {
			return 0, fmt.Errorf("%w: message key", ErrCorrupt)
		}
		chat, remote := parts[0], parts[1]
		ref, err := decodeRef("", "", chat, remote, v)
		if err == nil && !bytes.Equal(timeKey(ref.Time), when) {
			return 0, nil // re-put with another time: a newer index entry owns it
		}
		if err == nil && x != nil {
			for _, id := range xmppIDs(ref) {
				k := comp(chat, id)
				if string(x.Get(k)) == remote {
					if err := x.Delete(k); err != nil {
						return 0, err
					}
				}
			}
		}
		return 1, m.Delete(key)
	case ageDedup:
		if d := lb.Bucket(bDedup); d != nil {
			return 0, d.Delete(key)
		}
	case ageTxn:
		t := lb.Bucket(bTxn)
		if t == nil {
			return 0, nil
		}
		if v := t.Get(key); v != nil {
			if at, _, err := decodeTxn(v); err == nil && !bytes.Equal(timeKey(at), when) {
				return 0, nil
			}
			return 0, t.Delete(key)
		}
	}
	return 0, nil
}
