// Package store is passerelle's persistence: logins, puppets, the message ID
// map, inbound event deduplication, the inbound outbox and outgoing
// transaction IDs, in one bbolt file with a versioned schema.
//
// All writes go through one writer goroutine that groups whatever is queued
// into a single bbolt transaction (group commit): bbolt pays one fsync per
// read-write transaction, so many concurrent callers share one fsync instead
// of queueing for one each. Callers block until their write is durable.
// A write whose ctx ends first returns ctx.Err() at once: it was skipped if
// the writer had not reached it yet, otherwise it may still be committed.
// Reads use bbolt read transactions directly and never wait for the writer.
//
// Layout (schema version 1); every bucket below a transport is created on
// first use:
//
//	meta/schema                      decimal schema version
//	logins/<transport>/<user JID>    Login
//	data/<transport>/<login ID>/     everything owned by one login, so that
//	                                 DeleteLogin is one DeleteBucket
//	    p/<user ID>                  Puppet
//	    m/{chat, remote ID}          MessageRef
//	    x/{chat, XMPP ID}            remote ID (origin-id, stanza-id and id)
//	    d/{chat, dedup ID}           time the event was first seen
//	    t/<txn ID>                   time, remote ID
//	    a/<time><kind><key>          age index over m, d and t, for pruning
//	outbox/<transport>/<u64 key>     pending inbound event
//
// {a, b} is a composite key: each part is prefixed with its length as a
// uvarint, so no two different tuples encode to the same bytes. Key parts
// must not contain NUL (JIDs and remote IDs never do; a NUL means a bug
// upstream) and are limited to MaxKeyPart bytes.
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
)

// SchemaVersion is the version of the on-disk layout this package writes.
// A file with a higher version is refused (ErrSchemaTooNew); a lower one
// would be migrated on Open.
const SchemaVersion = 1

// DefaultLockTimeout is how long Open waits for the file lock before it
// reports that another process holds the file.
const DefaultLockTimeout = 2 * time.Second

// MaxKeyPart is the longest accepted key part (JID, remote ID, ...) in
// bytes. It keeps every composite key well below bbolt's key size limit.
const MaxKeyPart = 4096

var (
	// ErrSchemaTooNew is returned by Open for a file written by a newer
	// passerelle, whose layout this version does not know.
	ErrSchemaTooNew = errors.New("store: schema version too new")
	// ErrNotFound is returned by lookups when the record is absent.
	ErrNotFound = errors.New("store: not found")
	// ErrLocked is returned by Open when another process (usually another
	// passerelle) holds the file open.
	ErrLocked = errors.New("store: database locked by another process")
	// ErrInvalid is returned for arguments that cannot be stored: an empty
	// required key part, a NUL byte in a key part, a part too long.
	ErrInvalid = errors.New("store: invalid argument")
	// ErrClosed is returned by calls made after Close.
	ErrClosed = errors.New("store: closed")
	// ErrCorrupt is returned when a stored record cannot be decoded.
	ErrCorrupt = errors.New("store: corrupt record")
)

// Options tunes OpenOptions. The zero value gives the defaults Open uses.
type Options struct {
	// LockTimeout bounds the wait for the file lock; 0 means
	// DefaultLockTimeout.
	LockTimeout time.Duration
	// MaxBatch bounds how many queued write operations share one
	// transaction; 0 means 256.
	MaxBatch int
	// PruneChunk bounds how many records PruneMessages deletes per
	// transaction; 0 means 1000.
	PruneChunk int
}

// DB is an open store. Its methods are safe for concurrent use.
type DB struct {
	bolt       *bbolt.DB
	path       string
	maxBatch   int
	pruneChunk int

	// mu guards closed and the closing of ops: senders hold it shared, so
	// Close (exclusive) never closes ops under a sender.
	mu      sync.RWMutex
	closed  bool
	ops     chan *op
	stopped chan struct{}

	closeOnce sync.Once
	closeErr  error

	// commits and committed count transactions and the ops they carried
	// (benchmarks report the batch size).
	commits, committed atomic.Uint64
}

// Top-level and per-login bucket names, and the meta key for the version.
var (
	bMeta    = []byte("meta")
	bLogins  = []byte("logins")
	bData    = []byte("data")
	bOutbox  = []byte("outbox")
	bPuppets = []byte("p")
	bMsgs    = []byte("m")
	bXMPP    = []byte("x")
	bDedup   = []byte("d")
	bTxn     = []byte("t")
	bAge     = []byte("a")
	kSchema  = []byte("schema")
)

// Open opens (creating if needed) the store at path with default options.
func Open(path string) (*DB, error) {
	return OpenOptions(path, Options{})
}

// OpenOptions opens (creating if needed) the store at path. The parent
// folder is created with mode 0700 and the file with 0600: it holds the
// plugins' saved session state. The schema version is written to a new file
// and checked on an existing one.
func OpenOptions(path string, o Options) (*DB, error) {
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.PruneChunk <= 0 {
		o.PruneChunk = 1000
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create folder for %s: %w", path, err)
	}
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout: o.LockTimeout,
		// The hashmap freelist stays fast as the file fragments; bbolt's
		// own docs recommend it for everything but tiny files.
		FreelistType:   bbolt.FreelistMapType,
		NoFreelistSync: true,
	})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (is another passerelle running? waited %s): %w",
			ErrLocked, path, o.LockTimeout, err)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := b.Update(func(tx *bbolt.Tx) error { return initSchema(tx, path) }); err != nil {
		_ = b.Close()
		return nil, err
	}
	db := &DB{
		bolt:       b,
		path:       path,
		maxBatch:   o.MaxBatch,
		pruneChunk: o.PruneChunk,
		ops:        make(chan *op, o.MaxBatch),
		stopped:    make(chan struct{}),
	}
	go db.run()
	return db, nil
}

// initSchema writes the version into a new file, checks it in an existing
// one and creates the top-level buckets.
func initSchema(tx *bbolt.Tx, path string) error {
	meta := tx.Bucket(bMeta)
	if meta == nil {
		// A file with buckets but no version is somebody else's bbolt file:
		// writing into it would mix two schemas.
		foreign := false
		_ = tx.ForEach(func([]byte, *bbolt.Bucket) error {
			foreign = true
			return nil
		})
		if foreign {
			return fmt.Errorf("store: %s is a bbolt file without a passerelle schema version; refusing to use it", path)
		}
		var err error
		if meta, err = tx.CreateBucket(bMeta); err != nil {
			return fmt.Errorf("store: init %s: %w", path, err)
		}
		if err := meta.Put(kSchema, []byte(strconv.Itoa(SchemaVersion))); err != nil {
			return fmt.Errorf("store: init %s: %w", path, err)
		}
	}
	raw := meta.Get(kSchema)
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 1 {
		return fmt.Errorf("store: %s: unreadable schema version %q: %w", path, raw, ErrCorrupt)
	}
	if v > SchemaVersion {
		return fmt.Errorf("%w: %s has schema version %d, this passerelle supports up to version %d; run a newer passerelle or use another file",
			ErrSchemaTooNew, path, v, SchemaVersion)
	}
	// v < SchemaVersion: migrations go here once there is a version 2.
	for _, name := range [][]byte{bLogins, bData, bOutbox} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("store: init %s: %w", path, err)
		}
	}
	return nil
}

// Path returns the file the store was opened from.
func (db *DB) Path() string { return db.path }

// Close waits for queued writes to be committed, stops the writer and
// closes the file. Later calls return the first call's result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.mu.Lock()
		db.closed = true
		close(db.ops)
		db.mu.Unlock()
		<-db.stopped
		if err := db.bolt.Close(); err != nil {
			db.closeErr = fmt.Errorf("store: close %s: %w", db.path, err)
		}
	})
	return db.closeErr
}

// view runs a read transaction, mapping bbolt's "not open" to ErrClosed.
func (db *DB) view(fn func(tx *bbolt.Tx) error) error {
	err := db.bolt.View(fn)
	if errors.Is(err, bbolt.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// op is one queued write. fn runs inside the writer's shared transaction;
// it may run more than once (see apply), so it must set its results from
// scratch on each run and only read data the caller no longer touches.
type op struct {
	ctx  context.Context
	fn   func(tx *bbolt.Tx) error
	done chan error // buffered: the writer never blocks on a gone caller
	// lazy ops may commit without fsync (see submitLazy).
	lazy bool
}

// cleanError marks an op error returned before the op wrote anything, so
// the other ops of the batch can go on in the same transaction.
type cleanError struct{ err error }

func (e *cleanError) Error() string { return e.err.Error() }
func (e *cleanError) Unwrap() error { return e.err }

// errAbort makes bbolt roll the batch back after an op failed half-way.
var errAbort = errors.New("store: abort batch")

// submit queues fn for the writer and waits until it is committed. On ctx
// cancellation it returns ctx.Err() at once; the write may still land.
func (db *DB) submit(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	return db.enqueue(ctx, &op{ctx: ctx, fn: fn, done: make(chan error, 1)})
}

// submitLazy is submit for writes whose loss in a power cut (not a process
// crash: the pages are written, only fsync is skipped) costs a repeat, not
// data: a batch of only lazy ops commits without fsync, and becomes
// durable with the next batch that has a strict op.
func (db *DB) submitLazy(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	return db.enqueue(ctx, &op{ctx: ctx, fn: fn, done: make(chan error, 1), lazy: true})
}

func (db *DB) enqueue(ctx context.Context, o *op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return ErrClosed
	}
	select {
	case db.ops <- o:
	case <-ctx.Done():
		db.mu.RUnlock()
		return ctx.Err()
	}
	db.mu.RUnlock()
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		// Prefer a result that raced with the cancellation.
		select {
		case err := <-o.done:
			return err
		default:
			return ctx.Err()
		}
	}
}

// run is the writer goroutine: take one op, drain what else is queued, and
// commit them together.
func (db *DB) run() {
	defer close(db.stopped)
	batch := make([]*op, 0, db.maxBatch)
	for o := range db.ops {
		batch = append(batch[:0], o)
	drain:
		for len(batch) < db.maxBatch {
			select {
			case o, ok := <-db.ops:
				if !ok {
					break drain
				}
				batch = append(batch, o)
			default:
				break drain
			}
		}
		db.apply(batch)
		clear(batch) // drop references to finished ops
	}
}

// apply commits batch in one transaction and answers each op. bbolt has no
// savepoints, so when an op fails after writing, the whole transaction is
// rolled back and the batch re-run without that op: the failing op leaves
// nothing behind and the others are not poisoned by it.
func (db *DB) apply(batch []*op) {
	pending := make([]*op, 0, len(batch))
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			o.done <- err // the caller gave up before we started: skip it
			continue
		}
		pending = append(pending, o)
	}
	for len(pending) > 0 {
		errs := make([]error, len(pending))
		failed := -1
		lazy := true
		for _, o := range pending {
			lazy = lazy && o.lazy
		}
		// Only this goroutine writes, so toggling NoSync between
		// transactions is safe.
		db.bolt.NoSync = lazy
		err := db.bolt.Update(func(tx *bbolt.Tx) error {
			for i, o := range pending {
				err := o.fn(tx)
				if err == nil {
					continue
				}
				var ce *cleanError
				if errors.As(err, &ce) {
					errs[i] = ce.err
					continue
				}
				errs[i], failed = err, i
				return errAbort
			}
			return nil
		})
		db.commits.Add(1)
		db.committed.Add(uint64(len(pending)))
		if failed >= 0 {
			pending[failed].done <- errs[failed]
			pending = append(pending[:failed], pending[failed+1:]...)
			continue
		}
		for i, o := range pending {
			switch {
			case errs[i] != nil:
				o.done <- errs[i]
			case err != nil:
				o.done <- fmt.Errorf("store: commit: %w", err)
			default:
				o.done <- nil
			}
		}
		return
	}
}
