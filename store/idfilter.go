package store

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"os"
	"slices"
	"sync"
	"sync/atomic"

	"go.etcd.io/bbolt"
)

// idFilters answers most lookups of IDs that are not in bbolt's message
// map, XMPP index, txn and dedup buckets without a read transaction. The
// duplicate and resend checks of every message look for IDs that are
// almost always new, and their bbolt reads were about a tenth of the
// gateway's CPU.
//
// One filter per login, built once the login has made buildAfter checks:
// until it is ready the check reads bbolt. A filter must hold every key
// of those buckets in bbolt. Every key reaches them through a checkpoint
// (applyAll), which adds it to the login's filter before its transaction
// commits, so before the log generation that held it is dropped. A
// filter built while checkpoints run is published first, then given the
// login's keys still in the log's generations, and only then filled from
// a new read transaction: a key checkpointed in between is in one or the
// other. Keys pruned from bbolt stay in the filter (it answers "maybe"
// and the check reads bbolt), and a filter grows by layers that each
// check reads, so one that has grown well past what it was built from is
// dropped and built again: the scans cost O(1) per key over time.
type idFilters struct {
	db   *DB
	seed maphash.Seed
	off  bool // PASSERELLE_ID_FILTER=0: every check reads bbolt
	mu   sync.RWMutex
	m    map[string]map[string]*loginFilter // by transport, login: no key to build per check
	sem  chan struct{}                      // one build at a time
}

func newIDFilters(db *DB) *idFilters {
	return &idFilters{db: db, seed: maphash.MakeSeed(), off: os.Getenv("PASSERELLE_ID_FILTER") == "0",
		m: map[string]map[string]*loginFilter{}, sem: make(chan struct{}, 1)}
}

func (f *idFilters) get(transport, login string) *loginFilter {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.m[transport][login]
}

// drop forgets lf, if it is still the login's filter.
func (f *idFilters) drop(transport, login string, lf *loginFilter) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m[transport][login] == lf {
		delete(f.m[transport], login)
	}
}

func (f *idFilters) hash(bucket byte, key []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(f.seed)
	_ = h.WriteByte(bucket)
	_, _ = h.Write(key)
	return h.Sum64()
}

// hashComp is hash(bucket, comp(a, b)) without building the key.
func (f *idFilters) hashComp(bucket byte, a, b string) uint64 {
	var h maphash.Hash
	h.SetSeed(f.seed)
	_ = h.WriteByte(bucket)
	var n [binary.MaxVarintLen64]byte
	for _, p := range [...]string{a, b} {
		_, _ = h.Write(binary.AppendUvarint(n[:0], uint64(len(p))))
		_, _ = h.WriteString(p)
	}
	return h.Sum64()
}

// absent reports whether key is surely not in the login's bucket in bbolt.
// false means look.
func (f *idFilters) absent(transport, login string, bucket byte, key []byte) bool {
	if f.off {
		return false
	}
	lf := f.get(transport, login)
	if lf == nil {
		f.mu.Lock()
		if lf = f.m[transport][login]; lf == nil {
			lf = &loginFilter{}
			if f.m[transport] == nil {
				f.m[transport] = map[string]*loginFilter{}
			}
			f.m[transport][login] = lf
		}
		f.mu.Unlock()
	}
	if lf.ready.Load() {
		return !lf.has(f.hash(bucket, key))
	}
	if lf.checks.Add(1) >= buildAfter && lf.building.CompareAndSwap(false, true) {
		go f.build(transport, login, lf)
	}
	return false
}

// buildAfter is how many checks a login's filter waits for before it is
// built: a build reads all of the login's IDs in bbolt (and maps their
// pages into memory), which pays only for a login that keeps checking.
const buildAfter = 256

// addRec adds the bbolt keys r writes, as apply does, to its login's
// filter if there is one. Called before the checkpoint commits.
func (f *idFilters) addRec(r *hotRec) {
	if f.off {
		return
	}
	transport, login := r.owner()
	lf := f.get(transport, login)
	if lf == nil || lf.layers.Load() == nil { // none, or not building yet
		return
	}
	f.addKeys(lf, r)
	if lf.ready.Load() && lf.n.Load() > 2*lf.built+1<<14 {
		// Build it again from what bbolt holds, into one layer: a check
		// reads every layer, and some keys may have been pruned since.
		f.drop(transport, login, lf)
	}
}

// addKeys adds to lf the bbolt keys r writes in the filtered buckets:
// the same keys as hotRec.apply.
func (f *idFilters) addKeys(lf *loginFilter, r *hotRec) {
	switch r.kind {
	case recRef:
		x := &r.ref
		lf.add(f.hashComp(bMsgs[0], x.ChatID, x.RemoteID))
		for _, id := range [...]string{x.OriginID, x.StanzaID, x.ID} {
			if id != "" { // a repeated ID is added twice, harmlessly
				lf.add(f.hashComp(bXMPP[0], x.ChatID, id))
			}
		}
	case recTxn:
		lf.add(f.hash(bTxn[0], []byte(r.id)))
	case recDedup:
		lf.add(f.hashComp(bDedup[0], r.chat, r.id))
	}
}

// build fills lf: the login's keys in the log's generations, then bbolt's.
func (f *idFilters) build(transport, login string, lf *loginFilter) {
	f.sem <- struct{}{}
	defer func() { <-f.sem }()
	lf.publish() // from here the checkpoints add their keys
	db := f.db
	db.hmu.RLock()
	for _, g := range [...]*hotGen{db.live, db.frozen} {
		if g == nil {
			continue
		}
		for i := range g.recs {
			r := &g.recs[i]
			if t, l := r.owner(); t == transport && l == login {
				f.addKeys(lf, r)
			}
		}
	}
	db.hmu.RUnlock()
	var hs []uint64
	err := db.view(func(tx *bbolt.Tx) error {
		lb := loginBucket(tx, transport, login)
		for _, name := range [...][]byte{bMsgs, bXMPP, bTxn, bDedup} {
			b := sub(lb, name)
			if b == nil {
				continue
			}
			if err := b.ForEach(func(k, _ []byte) error {
				hs = append(hs, f.hash(name[0], k))
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil { // closed, or unreadable: leave it to bbolt
		f.drop(transport, login, lf)
		return
	}
	lf.reserve(len(hs))
	for _, h := range hs {
		lf.add(h)
	}
	lf.built = lf.n.Load()
	lf.ready.Store(true)
}

// loginFilter is a Bloom filter that grows by layers: a key is in it if
// any layer has it.
type loginFilter struct {
	layers   atomic.Pointer[[]*bloom] // nil until its build starts
	mu       sync.Mutex               // adding a layer
	n        atomic.Int64
	built    int64 // keys when it became ready; written before ready
	ready    atomic.Bool
	checks   atomic.Int32 // before the build
	building atomic.Bool
}

func newLoginFilter() *loginFilter {
	lf := &loginFilter{}
	lf.publish()
	return lf
}

// publish gives lf its first layer: keys added from then on are kept.
func (lf *loginFilter) publish() {
	ls := []*bloom{newBloom(1024)}
	lf.layers.CompareAndSwap(nil, &ls)
}

func (lf *loginFilter) add(h uint64) {
	p := lf.layers.Load()
	if p == nil {
		return
	}
	ls := *p
	b := ls[len(ls)-1]
	if b.n.Add(1) > b.capacity {
		b = lf.grow(b, 4*b.capacity) // few layers: a check reads each
		b.n.Add(1)
	}
	b.set(h)
	lf.n.Add(1)
}

// reserve makes room for n more keys in one layer.
func (lf *loginFilter) reserve(n int) {
	ls := *lf.layers.Load()
	if last := ls[len(ls)-1]; last.capacity-last.n.Load() < int64(n) {
		lf.grow(last, max(2*int64(n), 2*last.capacity))
	}
}

// grow adds a layer for capacity keys after full, unless another
// goroutine did already, and returns the last layer.
func (lf *loginFilter) grow(full *bloom, capacity int64) *bloom {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	ls := *lf.layers.Load()
	if last := ls[len(ls)-1]; last != full {
		return last
	}
	nb := newBloom(capacity)
	next := append(slices.Clip(ls), nb)
	lf.layers.Store(&next)
	return nb
}

func (lf *loginFilter) has(h uint64) bool {
	p := lf.layers.Load()
	if p == nil {
		return true // nothing known: look
	}
	for _, b := range *p {
		if b.has(h) {
			return true
		}
	}
	return false
}

// bloom is one layer, blocked: a key's 7 probes fall in one 512-bit
// block, one cache line, so a check of a key costs one memory access per
// layer. 16 to 32 bits per key: about 1 % false positives when full.
type bloom struct {
	words    []atomic.Uint64
	blocks   uint64 // a power of two
	capacity int64
	n        atomic.Int64
}

const bloomProbes = 7

func newBloom(capacity int64) *bloom {
	nbits := uint64(1) << bits.Len64(uint64(capacity)*16)
	nbits = max(nbits, 512)
	return &bloom{words: make([]atomic.Uint64, nbits/64), blocks: nbits / 512, capacity: capacity}
}

// probe returns the word and bit of probe i of h: the block from the low
// bits, the bit in it from the high ones (double hashing).
func (b *bloom) probe(h uint64, i uint32) (int, uint64) {
	base := (h & (b.blocks - 1)) * 8
	pos := (uint32(h>>32) + i*(uint32(h>>16)|1)) & 511
	return int(base + uint64(pos/64)), 1 << (pos % 64)
}

func (b *bloom) set(h uint64) {
	for i := range uint32(bloomProbes) {
		w, m := b.probe(h, i)
		b.words[w].Or(m)
	}
}

func (b *bloom) has(h uint64) bool {
	for i := range uint32(bloomProbes) {
		w, m := b.probe(h, i)
		if b.words[w].Load()&m == 0 {
			return false
		}
	}
	return true
}
