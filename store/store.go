// Package store is passerelle's persistence: logins, puppets, the message ID
// map, inbound event deduplication, the inbound outbox and outgoing
// transaction IDs, in one bbolt file with a versioned schema.
//
// All writes go through one writer goroutine that groups whatever is queued
// (group commit), so many concurrent callers share one fsync. The hot
// writes of the message path (message map, txns, dedup keys, outbox) are
// appended to a write-ahead log (wal.go) and indexed in memory; a
// background checkpoint applies them to bbolt thousands at a time. Other
// writes are bbolt transactions; only those that depend on the logged
// writes (see submitBarrier) wait for a checkpoint first. Callers block
// until their write is durable (lazy ones:
// written, see submitHot). A write whose ctx ends first returns ctx.Err()
// at once: it was skipped if the writer had not reached it yet, otherwise
// it may still be committed. While checkpoints fail, hot writes are
// refused once the log holds a bounded backlog (backlogErr). Reads look in the log's index, then use bbolt
// read transactions directly; they never wait for the writer.
//
// Layout (schema version 1); every bucket below a transport is created on
// first use. Contract v2's additions (MessageRef.Meta, Login.DataDir, the
// b bucket) are fields appended to records and a new bucket, which this
// version reads as absent in records written before them: the schema
// version did not change.
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
//	    b/<chat ID>                  BackfillCursor
//	    i/<user ID>                  user ID its occupant-ids derive from (occupant_alias.go)
//	    g/<chat ID>                  chat ID the group moved to (moved.go)
//	    v/<user ID>                  a contact's avatar ID and hash (avatars.go)
//	    q/<user ID>                  room the user wrote to it privately through (privatechats.go)
//	    w/{room ID, user ID}         a group member's avatar ID and hash (avatars.go)
//	outbox/<transport>/<u64 key>     pending inbound event
//	archive/<transport>/<user JID>/<room ID>/  a room's archive (archive.go)
//	logged-out/<transport>/<user JID>  time a user logged out (loggedout.go)
//
// The archive bucket is created on first use, like those below a
// transport: files written before it open as they are.
//
// Beside the file, <file>.wal.<generation> are the write-ahead logs not yet
// checkpointed (one live, at most one being applied; more after a crash).
//
// {a, b} is a composite key: each part is prefixed with its length as a
// uvarint, so no two different tuples encode to the same bytes. Key parts
// must not contain NUL (JIDs and remote IDs never do; a NUL means a bug
// upstream) and are limited to MaxKeyPart bytes.
package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
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
// It is the plugin contract's LIMIT_ID_BYTES, which the SDK enforces too
// (the bridge's TestStoreKeepsTheContractsLimits holds them equal;
// the store imports none of the project's other packages).
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
	// CheckpointRecords and CheckpointInterval start a checkpoint (the
	// logged hot writes applied to bbolt in the background) once that many
	// records are logged or the oldest is that old; 0 means 4096 and 1 s.
	CheckpointRecords  int
	CheckpointInterval time.Duration
}

// DB is an open store. Its methods are safe for concurrent use.
type DB struct {
	bolt       *bbolt.DB
	path       string
	maxBatch   int
	pruneChunk int

	batch hotBatch // the writer's, reused by every batch of hot writes

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
	// logWrites, logged and syncs count the log's writes, the records
	// they carried and their fdatasyncs (benchmarks report them).
	logWrites, logged, syncs atomic.Uint64
	// rejected counts the invalid events refused, by transport (under
	// rejectMu).
	rejectMu sync.Mutex
	rejected map[string]uint64

	// The write-ahead log of hot writes (see wal.go). live and frozen are
	// set by the writer under hmu; readers take hmu shared.
	hmu          sync.RWMutex
	live, frozen *hotGen
	// spare is the last checkpointed generation, emptied: the next one
	// reuses its room (allocating maps for 4,096 records every second
	// was 4 % of the gateway's allocations).
	spare *hotGen
	// heldFirst is, per transport, the first held-message key this open
	// handed out (held.go: HeldBefore), set by the writer.
	heldMu    sync.Mutex
	heldFirst map[string]uint64
	// Writer-only: the next log generation, outbox keys handed out per
	// transport, the checkpoint in flight and the first log error.
	nextGen    uint64
	obSeq      map[string]uint64
	heldSeq    map[string]uint64 // held.go's keys, as obSeq
	ckRunning  bool
	ckDone     chan error
	ckRetry    time.Time
	ckErr      error // the last checkpoint's failure, nil once one succeeds
	ckRecords  int
	ckInterval time.Duration
	walErr     error
	// caughtUp is set while bbolt ops run right after a checkpoint, with
	// nothing logged since (see needCheckpoint).
	caughtUp bool
	// ckHook, if set (tests only, before the first write), runs in each
	// background checkpoint before it applies, to hold one back; an
	// error it returns fails the checkpoint.
	ckHook    func() error
	finishErr error // read by Close once the writer stopped

	// arSeq is the writer's next stanza-id of each room archive, by
	// hkey(transport, user, room) (see archive.go). Writer only.
	arSeq map[string]*arState
	// unclean is set at Open when the last run left a log to replay: it
	// did not close, and a power cut may have taken lazy writes.
	unclean bool

	// The plugin runs of History seqs, by transport (see HistoryRestarted).
	runMu   sync.Mutex
	runs    map[string]uint64
	runBase uint64
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
	bCursors = []byte("b")
	kSchema  = []byte("schema")
	// kWALApplied is the newest log generation checkpointed into bbolt.
	kWALApplied = []byte("wal-applied")
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
	if o.CheckpointRecords <= 0 {
		o.CheckpointRecords = 4096
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create folder for %s: %w", path, err)
	}
	if err := checkFreelist(path); err != nil {
		return nil, err
	}
	b, err := openBolt(path, &bbolt.Options{
		Timeout: o.LockTimeout,
		// The hashmap freelist stays fast as the file fragments; bbolt's
		// own docs recommend it for everything but tiny files.
		FreelistType: bbolt.FreelistMapType,
		// The freelist is written with each commit (the default). Not
		// writing it (NoFreelistSync) saved a little per commit when
		// every batch of messages was one; with the write-ahead log a
		// commit is about one a second, while Open then rebuilt the list
		// by reading every page: 4.6 s and 175 MiB of RSS for a 185 MiB
		// file, against under a millisecond and 3 MiB.
	})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (is another passerelle running? waited %s): %w",
			ErrLocked, path, o.LockTimeout, err)
	}
	if err != nil {
		return nil, err
	}
	if err := guard(path, func() error {
		return b.Update(func(tx *bbolt.Tx) error { return initSchema(tx, path) })
	}); err != nil {
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
		obSeq:      map[string]uint64{},
		heldSeq:    map[string]uint64{},
		heldFirst:  map[string]uint64{},
		ckDone:     make(chan error, 1),
		ckRecords:  o.CheckpointRecords,
		ckInterval: o.CheckpointInterval,
		runBase:    newRunBase(),
	}
	if err := guard(path, db.recover); err != nil {
		_ = b.Close()
		return nil, err
	}
	go db.run()
	return db, nil
}

// openBolt opens the bbolt file, turning a panic (bbolt panics on some
// damaged pages, such as the freelist's) into an error. The file bbolt
// opened is caught through Options.OpenFile and closed then; its mapping
// may still hold the lock until the process exits, which is why
// checkFreelist looks at the freelist first.
func openBolt(path string, o *bbolt.Options) (b *bbolt.DB, err error) {
	var f *os.File
	o.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		ff, err := os.OpenFile(name, flag, perm)
		f = ff
		return ff, err
	}
	defer func() {
		if r := recover(); r != nil {
			if f != nil {
				_ = f.Close() // releases the lock; its mapping is left
			}
			b, err = nil, damaged(path, r)
		}
	}()
	b, err = bbolt.Open(path, 0o600, o)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return b, nil
}

// guard runs fn, turning a panic of bbolt over a damaged page into an
// error: Open's first reads and writes go through it.
func guard(path string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = damaged(path, r)
		}
	}()
	return fn()
}

// damaged is the error for a file bbolt panicked on.
func damaged(path string, panicked any) error {
	return fmt.Errorf("store: %s is damaged (bbolt: %v); run `passerelle check-store --store %s` to see what is wrong, then restore a backup or move the file away: %w",
		path, panicked, path, ErrCorrupt)
}

// recover applies the log files a crash left to bbolt, oldest first, then
// starts the next generation's log.
func (db *DB) recover() error {
	gens, err := listWAL(db.path)
	if err != nil {
		return err
	}
	var applied uint64
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(kWALApplied); len(v) == 8 {
			applied = binary.BigEndian.Uint64(v)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("store: read the applied log generation: %w", err)
	}
	db.nextGen = applied + 1
	for _, g := range gens {
		p := walPath(db.path, g)
		if g > applied {
			db.unclean = true
			scan, err := readWAL(p)
			if err != nil {
				return err
			}
			for _, sp := range scan.skipped {
				slog.Warn("store: skipped damaged bytes in the middle of a log; the records after them are kept",
					"log", p, "offset", sp.off, "bytes", sp.n)
			}
			if scan.tail > 0 {
				slog.Warn("store: a log ends in a torn or zero-filled tail; it was not written in full before a crash",
					"log", p, "offset", scan.size-scan.tail, "bytes", scan.tail, "records_kept", len(scan.recs))
			}
			if err := db.applyAll(g, scan.recs); err != nil {
				return fmt.Errorf("store: replay log %s: %w", p, err)
			}
		}
		// else its checkpoint committed and only the removal was lost
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("store: remove replayed log: %w", err)
		}
		db.nextGen = max(db.nextGen, g+1)
	}
	w, err := createWAL(db.path, db.nextGen)
	if err != nil {
		return err
	}
	db.nextGen++
	db.live = newGen(w, db.ckRecords)
	return nil
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
		db.closeErr = db.finishErr
		if err := db.bolt.Close(); err != nil && db.closeErr == nil {
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
	ctx context.Context
	fn  func(tx *bbolt.Tx) error
	// hot, instead of fn, stages records for the write-ahead log. It must
	// stage nothing when it fails.
	hot  func(h *hotBatch) error
	done chan error // buffered: the writer never blocks on a gone caller
	// lazy hot ops are logged without fsync (see submitHot).
	lazy bool
	// barrier ops run after a checkpoint (see submitBarrier).
	barrier bool
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
//
// fn runs without waiting for a checkpoint: the writes of the log not yet
// applied may be missing from bbolt when it runs, and are applied after
// it. That is correct for a write that neither reads nor changes what the
// log writes (the message map, txns, dedup keys, age index and outbox of
// data/<transport>/<login> and outbox/<transport>): logins' records and
// saved state, presence approval, puppets (their own p bucket). Such a write
// commits to bbolt before older logged writes do, and a crash replays
// those over it: as their buckets are disjoint, either order gives the
// same state. A write that does depend on them uses submitBarrier, or
// returns errNeedsCheckpoint (see needCheckpoint).
func (db *DB) submit(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	return db.enqueue(ctx, &op{ctx: ctx, fn: fn, done: make(chan error, 1)})
}

// submitBarrier is submit for a write that must see every earlier logged
// write in bbolt (Flush; pruning, which must reach records still only
// logged; deleting a login's data, which a later checkpoint of that
// login's logged records would otherwise bring back, in memory and after
// a crash): the writer checkpoints first.
func (db *DB) submitBarrier(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	return db.enqueue(ctx, &op{ctx: ctx, fn: fn, done: make(chan error, 1), barrier: true})
}

// errNeedsCheckpoint is returned by an op's fn that found, inside its
// transaction, that it depends on the logged writes (PutLogin replacing a
// login ID drops the old one's data): the writer rolls it back and runs it
// again after a checkpoint.
var errNeedsCheckpoint = errors.New("store: write needs a checkpoint first")

// needCheckpoint returns errNeedsCheckpoint unless every logged write is
// in bbolt. Only fn, in the writer's transaction, may call it.
func (db *DB) needCheckpoint() error {
	if db.caughtUp {
		return nil
	}
	return errNeedsCheckpoint
}

// submitHot queues a hot write, logged to the write-ahead log and applied
// to bbolt at the next checkpoint. A lazy one is for writes whose loss in a
// power cut (not a process crash: the log is written, only fsync is
// skipped) costs a repeat, not data: a batch of only lazy ops is logged
// without fsync, and becomes durable with the next strict one.
func (db *DB) submitHot(ctx context.Context, lazy bool, fn func(h *hotBatch) error) error {
	return db.enqueue(ctx, &op{ctx: ctx, hot: fn, done: make(chan error, 1), lazy: lazy})
}

// Flush waits until every write made so far is in bbolt itself, not only
// in the write-ahead log.
func (db *DB) Flush(ctx context.Context) error {
	return db.submitBarrier(ctx, func(*bbolt.Tx) error { return nil })
}

func (db *DB) enqueue(ctx context.Context, o *op) error {
	if err := db.push(ctx, o); err != nil {
		return err
	}
	return o.await(ctx)
}

// push queues o for the writer, in call order, without waiting for it.
func (db *DB) push(ctx context.Context, o *op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return ErrClosed
	}
	select {
	case db.ops <- o:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// await waits for o's result, or for ctx.
func (o *op) await(ctx context.Context) error {
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
// write them together; between batches, start and finish checkpoints.
func (db *DB) run() {
	defer close(db.stopped)
	batch := make([]*op, 0, db.maxBatch)
	tick := time.NewTicker(max(db.ckInterval/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case o, ok := <-db.ops:
			if !ok {
				db.finish()
				return
			}
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
		case err := <-db.ckDone:
			db.checkpointed(err)
		case <-tick.C:
		}
		if db.ckRunning && len(db.live.recs) >= backlogFactor*db.ckRecords {
			// On a machine kept busy by others the checkpoint may fall
			// behind. Writes wait for it rather than let the log's
			// memory grow without bound.
			db.checkpointed(<-db.ckDone)
		}
		db.maybeCheckpoint()
	}
}

// backlogFactor times CheckpointRecords logged while a checkpoint runs
// makes the writer wait for it; as many while checkpoints fail makes it
// refuse hot writes (applyHot).
const backlogFactor = 16

// backlogErr is why hot writes are refused: checkpoints fail (bbolt
// cannot take the log's records) and the log holds backlogFactor times
// CheckpointRecords. Waiting for the checkpoint, as behind a slow one,
// would hold every write for as long as it fails; taking them let the
// log's memory grow without bound. A refused write is the caller's to
// retry (an event stays unacknowledged to its plugin). Writer only.
func (db *DB) backlogErr() error {
	if db.ckErr == nil || len(db.live.recs) < backlogFactor*db.ckRecords {
		return nil
	}
	return fmt.Errorf("store: %d writes wait for a checkpoint that fails: %w", len(db.live.recs), db.ckErr)
}

// apply writes one batch: hot ops to the log, the others in one bbolt
// transaction, after a checkpoint only when one of them needs it (see
// submit). Ops of one batch come from different callers, so their order
// among themselves is free.
func (db *DB) apply(batch []*op) {
	var hot, reg []*op
	barrier := false
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			o.done <- err // the caller gave up before we started: skip it
			continue
		}
		if o.hot != nil {
			hot = append(hot, o)
		} else {
			reg = append(reg, o)
			barrier = barrier || o.barrier
		}
	}
	if len(hot) > 0 {
		db.applyHot(hot)
	}
	for len(reg) > 0 {
		if barrier {
			if err := db.checkpointNow(); err != nil {
				for _, o := range reg {
					o.done <- err
				}
				return
			}
			db.caughtUp = true
		}
		// Ops that found they need a checkpoint go again after one.
		reg = db.applyBolt(reg)
		db.caughtUp = false
		barrier = true
	}
}

// applyHot stages the ops' records, logs them in one write (one fsync if
// any op is strict), then makes them visible to readers.
func (db *DB) applyHot(ops []*op) {
	errs := make([]error, len(ops))
	if db.walErr != nil {
		db.newLog()
	}
	if err := cmp.Or(db.walErr, db.backlogErr()); err != nil {
		for _, o := range ops {
			o.done <- err
		}
		return
	}
	// The batch's buffers are the writer's, reused from batch to batch.
	h := &db.batch
	h.db, h.strict, h.recs, h.buf, h.grouping = db, false, h.recs[:0], h.buf[:0], false
	if h.staged == nil {
		h.staged = newGen(nil, 0)
	}
	h.staged.clear()
	defer func() { clear(h.recs) }() // drop the records' references
	for i, o := range ops {
		if errs[i] = o.hot(h); errs[i] == nil && !o.lazy {
			h.strict = true
		}
	}
	h.done()
	if len(h.recs) > 0 {
		if err := db.live.wal.write(h.buf, h.strict); err != nil {
			// What follows a torn write would be lost at replay: nothing
			// more goes to this file. Later hot writes are refused until
			// a new log file replaces it (maybeCheckpoint, at once if it
			// can, else newLog at the next write); its good records stay
			// indexed and go to bbolt with its checkpoint.
			db.walErr = err
			db.ckRetry = time.Time{}
			for i := range errs {
				if errs[i] == nil {
					errs[i] = err
				}
			}
		} else {
			db.logWrites.Add(1)
			db.logged.Add(uint64(len(h.recs)))
			if h.strict {
				db.syncs.Add(1)
			}
			db.hmu.Lock()
			g := db.live
			if len(g.recs) == 0 {
				g.since = time.Now()
			}
			for i := range h.recs {
				g.index(&h.recs[i])
			}
			g.recs = append(g.recs, h.recs...)
			db.hmu.Unlock()
		}
	}
	db.commits.Add(1)
	db.committed.Add(uint64(len(ops)))
	for i, o := range ops {
		o.done <- errs[i]
	}
}

// applyBolt commits ops in one bbolt transaction and answers each. bbolt
// has no savepoints, so when an op fails after writing, the whole
// transaction is rolled back and the batch re-run without that op: the
// failing op leaves nothing behind and the others are not poisoned by it.
// Ops that returned errNeedsCheckpoint are not answered but returned.
func (db *DB) applyBolt(pending []*op) (later []*op) {
	for len(pending) > 0 {
		errs := make([]error, len(pending))
		failed := -1
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
			if errors.Is(errs[failed], errNeedsCheckpoint) && !db.caughtUp {
				later = append(later, pending[failed])
			} else {
				pending[failed].done <- errs[failed]
			}
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
		return later
	}
	return later
}

// maybeCheckpoint starts a background checkpoint when the live generation
// is big or old enough, or retries a failed one.
func (db *DB) maybeCheckpoint() {
	if db.ckRunning {
		return
	}
	if db.frozen != nil {
		if time.Now().After(db.ckRetry) {
			db.startApply(db.frozen)
		}
		return
	}
	g := db.live
	if db.walErr != nil {
		// The live log failed: replace it, whatever it holds.
		if time.Now().Before(db.ckRetry) {
			return
		}
	} else if len(g.recs) == 0 || (len(g.recs) < db.ckRecords && time.Since(g.since) < db.ckInterval) {
		return
	}
	if err := db.freeze(); err != nil {
		db.ckRetry = time.Now().Add(time.Second)
		return
	}
	db.startApply(db.frozen)
}

// newLog replaces a failed live log for a write that comes after the
// failure, at once: maybeCheckpoint retries once a second, and a write
// refused meanwhile, once a full disk has room again, was lost to its
// caller (the message map entry of a message the user just sent). The
// checkpoint of the log before it (at most one) ends first, here if it
// must. walErr stays set when that, or the new file, fails.
func (db *DB) newLog() {
	if db.endFrozen() != nil {
		return
	}
	if db.freeze() == nil {
		db.startApply(db.frozen)
	}
}

// freeze makes the live generation the frozen one and starts a new log,
// which also ends a failed log's refusal of writes.
func (db *DB) freeze() error {
	if g := db.live.wal; g.lazy && db.walErr == nil {
		// A strict write's fdatasync makes the lazy writes before it
		// in its file durable. Those left in the log being replaced
		// would not be, until the checkpoint applied them: sync them
		// now (an event's commit must cover the archive append made as
		// it was delivered, archive.go).
		if err := g.sync(); err != nil {
			return err
		}
		db.syncs.Add(1)
	}
	w, err := createWAL(db.path, db.nextGen)
	if err != nil {
		return err
	}
	db.nextGen++
	db.hmu.Lock()
	next := db.spare
	db.spare = nil
	if next == nil {
		next = newGen(w, db.ckRecords)
	}
	next.wal = w
	db.frozen, db.live = db.live, next
	db.hmu.Unlock()
	if db.walErr != nil {
		slog.Warn("store: writing to a new log after a failed one", "failed", db.frozen.wal.path, "err", db.walErr, "log", w.path)
		db.walErr = nil
	}
	return nil
}

func (db *DB) startApply(g *hotGen) {
	db.ckRunning = true
	go func() {
		if db.ckHook != nil {
			if err := db.ckHook(); err != nil {
				db.ckDone <- err
				return
			}
		}
		db.ckDone <- db.applyAll(g.wal.gen, g.recs)
	}()
}

// checkpointed ends the checkpoint in flight: on success the frozen
// generation is dropped, readers find its records in bbolt.
func (db *DB) checkpointed(err error) {
	db.ckRunning = false
	db.ckErr = err
	if err != nil {
		db.ckRetry = time.Now().Add(time.Second)
		return
	}
	g := db.frozen
	db.hmu.Lock()
	db.frozen = nil
	db.hmu.Unlock()
	_ = g.wal.remove() // a leftover file is replayed harmlessly at the next open
	// Its room is kept for the next generation, unless a backlog made it big.
	if cap(g.recs) <= 2*db.ckRecords {
		g.clear()
		g.wal = nil
		db.spare = g
	}
}

// endFrozen ends the checkpoint of the frozen generation, if any: waits
// for the one in flight, and runs it here when that failed, so that a
// new generation may be frozen.
func (db *DB) endFrozen() error {
	if db.ckRunning {
		db.checkpointed(<-db.ckDone)
	}
	if db.frozen == nil {
		return nil
	}
	err := db.applyAll(db.frozen.wal.gen, db.frozen.recs)
	db.checkpointed(err)
	return err
}

// checkpointNow puts every logged write into bbolt before it returns.
func (db *DB) checkpointNow() error {
	if err := db.endFrozen(); err != nil {
		return err
	}
	if len(db.live.recs) == 0 {
		return nil
	}
	if err := db.freeze(); err != nil {
		return err
	}
	err := db.applyAll(db.frozen.wal.gen, db.frozen.recs)
	db.checkpointed(err)
	return err
}

// finish runs when ops is closed: everything logged goes to bbolt and the
// empty log is removed.
func (db *DB) finish() {
	if err := db.checkpointNow(); err != nil {
		db.finishErr = err // the log stays and is replayed at the next open
		_ = db.live.wal.close()
		return
	}
	_ = db.live.wal.remove()
}
