package store

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// hotGen is one generation of logged writes not yet in bbolt: its log file,
// its records in log order (to apply them), and an index of them for
// readers. Readers look in the live generation, then the frozen one being
// checkpointed, then bbolt; newest first, so the newest write wins.
type hotGen struct {
	wal   *walFile
	recs  []hotRec
	since time.Time // when the first record came

	refs  map[string]MessageRef      // hkey(transport, login, chat, remote ID)
	xidx  map[string]string          // hkey(transport, login, chat, XMPP ID) -> remote ID
	txns  map[string]string          // hkey(transport, login, txn ID) -> remote ID
	dedup map[string]struct{}        // hkey(transport, login, chat, dedup ID)
	curs  map[string]*BackfillCursor // hkey(transport, login, chat)
	// The room archives with appends in this generation, and their
	// remote IDs' stanza-ids (archive.go).
	arRooms  map[string]struct{} // hkey(transport, user, room)
	arRemote map[string]string   // hkey(transport, user, room, remote ID)
}

// newGen makes a generation sized for n records: growing the slice and
// maps record by record was a tenth of the writer's time.
func newGen(w *walFile, n int) *hotGen {
	n = min(n, 1<<16) // a hint, not a bound
	return &hotGen{
		wal:   w,
		recs:  make([]hotRec, 0, n),
		refs:  make(map[string]MessageRef, n/2),
		xidx:  make(map[string]string, n/2),
		txns:  make(map[string]string, n/4),
		dedup: map[string]struct{}{},
		curs:  map[string]*BackfillCursor{},

		arRooms:  map[string]struct{}{},
		arRemote: map[string]string{},
	}
}

// clear empties g's records and maps, keeping their room.
func (g *hotGen) clear() {
	clear(g.recs)
	g.recs = g.recs[:0]
	clear(g.refs)
	clear(g.xidx)
	clear(g.txns)
	clear(g.dedup)
	clear(g.curs)
	clear(g.arRooms)
	clear(g.arRemote)
}

// hkey joins key parts with NUL, which no part may contain.
func hkey(parts ...string) string { return strings.Join(parts, "\x00") }

// keys computes r's index keys into r.hk, once: for a ref its own key,
// then one per distinct XMPP ID; for a txn or a dedup record its key.
func (r *hotRec) keys() {
	if r.hk[0] != "" {
		return
	}
	switch r.kind {
	case recRef:
		f := &r.ref
		r.hk[0] = hkey(f.Transport, f.LoginID, f.ChatID, f.RemoteID)
		for i, id := range xmppIDs(*f) {
			r.hk[1+i] = hkey(f.Transport, f.LoginID, f.ChatID, id)
		}
	case recTxn:
		r.hk[0] = hkey(r.transport, r.login, r.id)
	case recDedup:
		r.hk[0] = hkey(r.transport, r.login, r.chat, r.id)
	case recCursor:
		r.hk[0] = hkey(r.transport, r.login, r.chat)
	case recArchive:
		r.hk[0] = hkey(r.transport, r.login, r.chat)
		if r.ar.msg.RemoteID != "" {
			r.hk[1] = hkey(r.transport, r.login, r.chat, r.ar.msg.RemoteID)
		}
	}
}

// owner is the transport and login whose buckets r writes.
func (r *hotRec) owner() (transport, login string) {
	if r.kind == recRef {
		return r.ref.Transport, r.ref.LoginID
	}
	return r.transport, r.login
}

// index adds r to the generation's lookup maps.
func (g *hotGen) index(r *hotRec) {
	r.keys()
	switch r.kind {
	case recRef:
		g.refs[r.hk[0]] = r.ref
		for _, k := range r.hk[1:] {
			if k != "" {
				g.xidx[k] = r.ref.RemoteID
			}
		}
	case recTxn:
		g.txns[r.hk[0]] = r.remote
	case recDedup:
		g.dedup[r.hk[0]] = struct{}{}
	case recCursor:
		g.curs[r.hk[0]] = r.cur
	case recArchive:
		g.arRooms[r.hk[0]] = struct{}{}
		if r.hk[1] != "" {
			g.arRemote[r.hk[1]] = r.ar.msg.StanzaID
		}
	}
}

// loginCache holds the buckets of the login a checkpoint last wrote to.
// The records come sorted by login, and finding a login's bucket and its
// children anew (five nested lookups) was most of a record's cost.
type loginCache struct {
	tx               *bbolt.Tx
	transport, login string
	lb               *bbolt.Bucket
	kids             map[string]*bbolt.Bucket
	// The room archive the checkpoint last wrote to (hkey) and its buckets.
	arKey string
	ar    *roomBkts
}

func newLoginCache(tx *bbolt.Tx) *loginCache {
	return &loginCache{tx: tx, kids: map[string]*bbolt.Bucket{}}
}

// bucket returns the child name of the login's bucket, creating both as
// needed.
func (c *loginCache) bucket(transport, login string, name []byte) (*bbolt.Bucket, error) {
	if c.lb == nil || transport != c.transport || login != c.login {
		lb, err := loginBucketRW(c.tx, transport, login)
		if err != nil {
			return nil, err
		}
		c.lb, c.transport, c.login = lb, transport, login
		clear(c.kids)
	}
	if b, ok := c.kids[string(name)]; ok {
		return b, nil
	}
	b, err := c.lb.CreateBucketIfNotExists(name)
	if err != nil {
		return nil, err
	}
	c.kids[string(name)] = b
	return b, nil
}

// lastClaims maps each XMPP id key (hotRec.keys) of the message map
// entries among recs to the index of the entry that claims it last. An
// id that entries of one chat under different remote IDs claim (the
// network's echo of the user's send, then the send's own entry written
// again: the bridge's mapEcho) names the one written last, as the log's
// index has it; applied in key order, it named the one whose remote ID
// sorts last. nil when recs hold no entry.
func lastClaims(recs []hotRec) map[string]int {
	var last map[string]int
	for i := range recs {
		r := &recs[i]
		if r.kind != recRef {
			continue
		}
		r.keys()
		for _, k := range r.hk[1:] {
			if k == "" {
				continue
			}
			if last == nil {
				last = map[string]int{}
			}
			last[k] = i
		}
	}
	return last
}

// apply writes r, recs[i] of a checkpoint, into bbolt: what the write
// would have done directly. An entry leaves an XMPP id a later one
// claims (claims, lastClaims) to that one.
func (r *hotRec) apply(c *loginCache, now time.Time, claims map[string]int, i int) error {
	tx := c.tx
	switch r.kind {
	case recRef:
		rec, err := prepRef(r.ref, now)
		if err != nil {
			return err
		}
		if claims != nil {
			r.keys()
			// rec.xkeys and r.hk[1:] both follow xmppIDs.
			kept := rec.xkeys[:0]
			for j, k := range rec.xkeys {
				if at, ok := claims[r.hk[1+j]]; !ok || at == i {
					kept = append(kept, k)
				}
			}
			rec.xkeys = kept
		}
		return rec.put(c)
	case recTxn:
		return prepTxn(r.id, r.remote, r.at)(c, r.transport, r.login)
	case recDedup:
		d, err := c.bucket(r.transport, r.login, bDedup)
		if err != nil {
			return fmt.Errorf("store: put dedup key: %w", err)
		}
		a, err := c.bucket(r.transport, r.login, bAge)
		if err != nil {
			return fmt.Errorf("store: put dedup key: %w", err)
		}
		k := comp(r.chat, r.id)
		v := newEnc(12)
		v.time(r.at)
		if err := d.Put(k, v.b); err != nil {
			return fmt.Errorf("store: put dedup key: %w", err)
		}
		if err := a.Put(ageKey(r.at, ageDedup, k), []byte{}); err != nil {
			return fmt.Errorf("store: put dedup key: %w", err)
		}
		return nil
	case recOutbox:
		ob, err := tx.Bucket(bOutbox).CreateBucketIfNotExists([]byte(r.transport))
		if err != nil {
			return fmt.Errorf("store: put outbox entry: %w", err)
		}
		if r.key > ob.Sequence() {
			if err := ob.SetSequence(r.key); err != nil {
				return fmt.Errorf("store: put outbox entry: %w", err)
			}
		}
		if err := ob.Put(u64(r.key), r.val); err != nil {
			return fmt.Errorf("store: put outbox entry: %w", err)
		}
		return nil
	case recHeld, recHeldDel:
		return r.applyHeld(tx)
	case recOutDel:
		ob := tx.Bucket(bOutbox).Bucket([]byte(r.transport))
		if ob == nil {
			return nil
		}
		if err := ob.Delete(u64(r.key)); err != nil {
			return fmt.Errorf("store: outbox done: %w", err)
		}
		return nil
	case recCursor:
		b, err := c.bucket(r.transport, r.login, bCursors)
		if err != nil {
			return fmt.Errorf("store: put backfill cursor: %w", err)
		}
		if err := b.Put([]byte(r.chat), encodeCursor(r.cur)); err != nil {
			return fmt.Errorf("store: put backfill cursor: %w", err)
		}
		return nil
	case recArchive:
		if k := hkey(r.transport, r.login, r.chat); c.ar == nil || c.arKey != k {
			rb, err := roomBucketRW(tx, RoomKey{r.transport, r.login, r.chat})
			if err != nil {
				return fmt.Errorf("store: append to archive: %w", err)
			}
			c.ar, c.arKey = rb, k
		}
		if err := c.ar.put(r.ar.epoch, r.ar.seq, &r.ar.msg); err != nil {
			return fmt.Errorf("store: append to archive: %w", err)
		}
		return nil
	}
	return fmt.Errorf("%w: log record of kind %d", ErrCorrupt, r.kind)
}

// compare orders records by the bucket and key they write.
func (r *hotRec) compare(o *hotRec) int {
	if c := cmp.Compare(r.kind, o.kind); c != 0 {
		return c
	}
	switch r.kind {
	case recRef:
		return cmp.Or(strings.Compare(r.ref.Transport, o.ref.Transport), strings.Compare(r.ref.LoginID, o.ref.LoginID),
			strings.Compare(r.ref.ChatID, o.ref.ChatID), strings.Compare(r.ref.RemoteID, o.ref.RemoteID))
	case recOutbox, recOutDel, recHeld, recHeldDel:
		// A key's removal follows its puts, and the kinds sort puts
		// first; a held record's puts (HeldPut.Replace) keep their
		// order, the sort being stable.
		return 0
	case recArchive:
		return cmp.Or(strings.Compare(r.transport, o.transport), strings.Compare(r.login, o.login),
			strings.Compare(r.chat, o.chat), cmp.Compare(r.ar.seq, o.ar.seq))
	}
	return cmp.Or(strings.Compare(r.transport, o.transport), strings.Compare(r.login, o.login),
		strings.Compare(r.chat, o.chat), strings.Compare(r.id, o.id))
}

// applyAll writes recs, the records of log generation gen, into bbolt in
// one transaction, which also records gen as applied: a log file that
// outlives its checkpoint (a crash before its removal) is then not
// replayed over newer writes. gen 0 is no generation (benchmarks).
func (db *DB) applyAll(gen uint64, recs []hotRec) error {
	if len(recs) == 0 && gen == 0 {
		return nil
	}
	now := time.Now()
	// In key order, bbolt's cursor walks each page once instead of
	// jumping around; stable, so writes of one key keep their order.
	order := make([]int, len(recs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return recs[a].compare(&recs[b]) })
	claims := lastClaims(recs)
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		c := newLoginCache(tx)
		if gen > 0 {
			if err := tx.Bucket(bMeta).Put(kWALApplied, u64(gen)); err != nil {
				return err
			}
		}
		for _, i := range order {
			if err := recs[i].apply(c, now, claims, i); err != nil {
				return err
			}
		}
		return nil
	})
	db.commits.Add(1)
	if err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	return nil
}

// hotBatch is the hot writes of one writer batch: staged here, then logged
// in one write (and one fsync if any of them is strict) and only then
// indexed for readers.
type hotBatch struct {
	db     *DB
	tx     *bbolt.Tx // read transaction for lookups, opened on first use
	buf    []byte
	recs   []hotRec
	strict bool
	// staged is what this batch wrote so far, so a later op of the batch
	// sees an earlier one (a duplicate event in two calls, say).
	staged *hotGen
	logins map[string]loginBuckets // found in tx, by transport and login
	// grouping: the records added since index group are logged as one
	// frame by endGroup (see recGroup).
	grouping bool
	group    int
}

// loginBuckets are the buckets of a login that duplicate checks read.
// Find them once per read transaction: bbolt caches nested buckets only
// in write transactions, and finding a login's anew (three nested
// lookups) for each event was most of the cost of a check.
type loginBuckets struct{ dedup, msgs *bbolt.Bucket }

func findLoginBuckets(tx *bbolt.Tx, transport, login string) loginBuckets {
	lb := loginBucket(tx, transport, login)
	return loginBuckets{sub(lb, bDedup), sub(lb, bMsgs)}
}

// login returns a login's buckets in the batch's read transaction, which
// must be open.
func (h *hotBatch) login(transport, login string) loginBuckets {
	k := transport + "\x00" + login
	lb, ok := h.logins[k]
	if !ok {
		lb = findLoginBuckets(h.tx, transport, login)
		if h.logins == nil {
			h.logins = map[string]loginBuckets{}
		}
		h.logins[k] = lb
	}
	return lb
}

func (h *hotBatch) readTx() (*bbolt.Tx, error) {
	if h.tx == nil {
		tx, err := h.db.bolt.Begin(false)
		if err != nil {
			return nil, err
		}
		h.tx = tx
	}
	return h.tx, nil
}

func (h *hotBatch) done() {
	if h.tx != nil {
		_ = h.tx.Rollback()
		h.tx = nil
	}
	clear(h.logins) // its buckets belonged to the transaction
}

func (h *hotBatch) add(r hotRec) {
	if !h.grouping {
		h.buf = appendFrame(h.buf, &r)
	}
	h.staged.index(&r)
	h.recs = append(h.recs, r)
}

// beginGroup starts a group of records that replay finds all or none of:
// the records added until endGroup are staged and indexed as usual, and
// logged as one frame.
func (h *hotBatch) beginGroup() {
	h.grouping, h.group = true, len(h.recs)
}

// endGroup logs the group's records as one frame.
func (h *hotBatch) endGroup() {
	h.grouping = false
	if len(h.recs) > h.group {
		h.buf = appendGroupFrame(h.buf, h.recs[h.group:])
	}
}

// hasRef reports whether (transport, login, chat, remote) is in the
// message map: staged, logged or in bbolt.
// The read transaction must be open (readTx).
func (h *hotBatch) hasRef(transport, login, chat, remote string) bool {
	k := hkey(transport, login, chat, remote)
	if _, ok := h.staged.refs[k]; ok {
		return true
	}
	if _, ok := h.db.hotRef(k); ok {
		return true
	}
	// lookupRemote's existence check, without decoding the ref or
	// building an error for a miss.
	m := h.login(transport, login).msgs
	return m != nil && m.Get(comp(chat, remote)) != nil
}

// hasDedup reports whether a dedup key was recorded. The read transaction
// must be open.
func (h *hotBatch) hasDedup(transport, login string, dkey []byte, chat, id string) bool {
	k := hkey(transport, login, chat, id)
	if _, ok := h.staged.dedup[k]; ok {
		return true
	}
	if h.db.hotDedup(k) {
		return true
	}
	d := h.login(transport, login).dedup
	return d != nil && d.Get(dkey) != nil
}

// nextOutboxKey hands out the transport's next outbox key, going on from
// bbolt's bucket sequence the first time. The read transaction must be
// open.
func (h *hotBatch) nextOutboxKey(transport string) uint64 {
	k, ok := h.db.obSeq[transport]
	if !ok {
		if ob := h.tx.Bucket(bOutbox).Bucket([]byte(transport)); ob != nil {
			k = ob.Sequence()
		}
	}
	k++
	h.db.obSeq[transport] = k
	return k
}

// Readers' view of the generations.

// hotGet looks k up in one of the generations' maps, newest first.
func hotGet[V any](db *DB, pick func(*hotGen) map[string]V, k string) (V, bool) {
	db.hmu.RLock()
	defer db.hmu.RUnlock()
	for _, g := range [...]*hotGen{db.live, db.frozen} {
		if g == nil {
			continue
		}
		if v, ok := pick(g)[k]; ok {
			return v, true
		}
	}
	var zero V
	return zero, false
}

func (db *DB) hotRef(k string) (MessageRef, bool) {
	return hotGet(db, func(g *hotGen) map[string]MessageRef { return g.refs }, k)
}

func (db *DB) hotXMPP(k string) (string, bool) {
	return hotGet(db, func(g *hotGen) map[string]string { return g.xidx }, k)
}

func (db *DB) hotTxn(k string) (string, bool) {
	return hotGet(db, func(g *hotGen) map[string]string { return g.txns }, k)
}

func (db *DB) hotCursor(k string) (*BackfillCursor, bool) {
	return hotGet(db, func(g *hotGen) map[string]*BackfillCursor { return g.curs }, k)
}

func (db *DB) hotDedup(k string) bool {
	_, ok := hotGet(db, func(g *hotGen) map[string]struct{} { return g.dedup }, k)
	return ok
}
