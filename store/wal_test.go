package store

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// crashWrites is what the child process of TestCrashReplaysLog writes
// before it exits without closing the store.
func crashWrites(db *DB) error {
	evs := []InboundEvent{
		{LoginID: "l", ChatID: "c", DedupID: "m1", Payload: []byte("one"),
			Ref: &MessageRef{RemoteID: "m1", StanzaID: "s1", Files: 2, Text: true, Caption: "cap1", CaptionFrom: "e1"}, DedupByRef: true},
		{LoginID: "l", ChatID: "c", DedupID: "m2", Payload: []byte("two")},
		{LoginID: "l", ChatID: "c", DedupID: "m3", Payload: []byte("three")},
	}
	_, keys, err := db.CommitEvents(bg, "wa", evs)
	if err != nil {
		return err
	}
	if err := db.PutSent(bg, MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r9", OriginID: "o9", FromMe: true, Partly: true}, "o9"); err != nil {
		return err
	}
	// Strict, so the lazy writes before it are durable too.
	if err := db.OutboxDone(bg, "wa", keys[1:2]); err != nil {
		return err
	}
	return db.PutTxn(bg, "wa", "l", "t2", "r10")
}

// TestCrashReplaysLog: a process that dies (os.Exit, no Close) after its
// writes returned leaves them in the log; the next Open replays them into
// bbolt and removes the log.
func TestCrashReplaysLog(t *testing.T) {
	if p := os.Getenv("PASSERELLE_STORE_CRASH"); p != "" {
		db, err := OpenOptions(p, Options{CheckpointRecords: 1 << 20, CheckpointInterval: time.Hour})
		if err == nil {
			err = crashWrites(db)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		os.Exit(0) // no Close: the writes are only in the log
	}
	path := filepath.Join(t.TempDir(), "p.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashReplaysLog$")
	cmd.Env = append(os.Environ(), "PASSERELLE_STORE_CRASH="+path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	gens, err := listWAL(path)
	must(t, err)
	if len(gens) != 1 {
		t.Fatalf("log files after the crash: %v, want one", gens)
	}
	if fi, err := os.Stat(walPath(path, gens[0])); err != nil || fi.Size() == 0 {
		t.Fatalf("the crashed process's log is empty or gone: %v", err)
	}

	db := openAt(t, path, Options{})
	if r, err := db.LookupXMPP("wa", "l", "c", "s1"); err != nil || r.RemoteID != "m1" {
		t.Errorf("ref of an event: %+v, %v", r, err)
	} else if r.Files != 2 || !r.Text || r.Caption != "cap1" || r.CaptionFrom != "e1" {
		// A photo's retraction after the crash must reach its file parts.
		t.Errorf("ref of an event lost its files or caption in the log: %+v", r)
	}
	if r, err := db.LookupXMPP("wa", "l", "c", "cap1"); err != nil || r.RemoteID != "m1" {
		t.Errorf("the caption message's id after replay: %+v, %v", r, err)
	}
	if r, err := db.LookupXMPP("wa", "l", "c", "o9"); err != nil || !r.FromMe || !r.Partly {
		t.Errorf("sent ref: %+v, %v", r, err)
	}
	for txn, want := range map[string]string{"o9": "r9", "t2": "r10"} {
		if got, err := db.GetTxn("wa", "l", txn); err != nil || got != want {
			t.Errorf("txn %s = %q, %v; want %q", txn, got, err, want)
		}
	}
	out, err := db.Outbox("wa")
	must(t, err)
	if len(out) != 2 || string(out[0].Payload) != "one" || string(out[1].Payload) != "three" {
		t.Errorf("outbox after replay: %+v", out)
	}
	fresh, keys, err := db.CommitEvents(bg, "wa", []InboundEvent{
		{LoginID: "l", ChatID: "c", DedupID: "m2", Payload: []byte("again")},
		{LoginID: "l", ChatID: "c", DedupID: "m4", Payload: []byte("four")},
	})
	must(t, err)
	if fresh[0] || !fresh[1] {
		t.Errorf("dedup after replay: fresh = %v", fresh)
	}
	if keys[1] <= out[1].Key {
		t.Errorf("outbox key %d after replay does not follow %d", keys[1], out[1].Key)
	}
	// The replayed records are in bbolt itself and the old log is gone.
	must(t, db.view(func(tx *bbolt.Tx) error {
		if _, err := lookupRemote(tx, "wa", "l", "c", "r9"); err != nil {
			t.Errorf("sent ref not in bbolt after replay: %v", err)
		}
		return nil
	}))
	if _, err := os.Stat(walPath(path, gens[0])); !os.IsNotExist(err) {
		t.Errorf("replayed log still there: %v", err)
	}
}

// TestTornLogTail: a record cut short (the process died in the write) ends
// the replay; the records before it are kept.
func TestTornLogTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db := openAt(t, path, Options{})
	must(t, db.Close())
	var buf []byte
	for i := range 3 {
		r := hotRec{kind: recTxn, transport: "wa", login: "l", id: fmt.Sprint("t", i), remote: fmt.Sprint("r", i), at: time.Now()}
		buf = appendFrame(buf, &r)
	}
	torn := buf[:len(buf)-3]
	must(t, os.WriteFile(walPath(path, 7), torn, 0o600))
	// A flipped byte in a whole record is a torn write too (CRC).
	bad := appendFrame(nil, &hotRec{kind: recTxn, transport: "wa", login: "l", id: "x", at: time.Now()})
	bad[len(bad)-1] ^= 0xff
	good := appendFrame(nil, &hotRec{kind: recTxn, transport: "wa", login: "l", id: "y", remote: "ry", at: time.Now()})
	must(t, os.WriteFile(walPath(path, 8), append(good, bad...), 0o600))

	db = openAt(t, path, Options{})
	for txn, want := range map[string]string{"t0": "r0", "t1": "r1", "y": "ry"} {
		if got, err := db.GetTxn("wa", "l", txn); err != nil || got != want {
			t.Errorf("txn %s = %q, %v; want %q", txn, got, err, want)
		}
	}
	for _, txn := range []string{"t2", "x"} {
		_, err := db.GetTxn("wa", "l", txn)
		wantNotFound(t, "torn record "+txn, err)
	}
	// Writes after the replay go to a newer generation.
	must(t, db.PutTxn(bg, "wa", "l", "z", "rz"))
	gens, err := listWAL(path)
	must(t, err)
	if len(gens) != 1 || gens[0] <= 8 {
		t.Errorf("log generations after replay: %v", gens)
	}
}

// txnFrames frames txn records t<from>..t<to-1> (remote r<i>), each also
// returned alone so a test can damage one.
func txnFrames(from, to int) (all []byte, each [][]byte) {
	for i := from; i < to; i++ {
		f := appendFrame(nil, &hotRec{kind: recTxn, transport: "wa", login: "l", id: fmt.Sprint("t", i), remote: fmt.Sprint("r", i), at: time.Now()})
		each = append(each, f)
		all = append(all, f...)
	}
	return all, each
}

// wantTxns checks which of the txns t<i> Open kept.
func wantTxns(t *testing.T, db *DB, kept, lost []int) {
	t.Helper()
	for _, i := range kept {
		if got, err := db.GetTxn("wa", "l", fmt.Sprint("t", i)); err != nil || got != fmt.Sprint("r", i) {
			t.Errorf("txn t%d = %q, %v; want r%d", i, got, err, i)
		}
	}
	for _, i := range lost {
		_, err := db.GetTxn("wa", "l", fmt.Sprint("t", i))
		wantNotFound(t, fmt.Sprint("damaged record t", i), err)
	}
}

// TestZeroFilledLogTail: a crash can leave a log whose end is zeros (the
// file's size was written, its blocks not). The empty frame there passes
// the checksum; before, Open refused to start over it. Now the zeros end
// the log and the records before them are kept.
func TestZeroFilledLogTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	must(t, openAt(t, path, Options{}).Close())
	recs, _ := txnFrames(0, 3)
	must(t, os.WriteFile(walPath(path, 5), append(recs, make([]byte, 4096)...), 0o600))
	// A whole file of zeros too.
	must(t, os.WriteFile(walPath(path, 6), make([]byte, 512), 0o600))
	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open over a zero-filled log tail: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	wantTxns(t, db, []int{0, 1, 2}, nil)
	s, err := scanFrames(append(recs, make([]byte, 4096)...))
	must(t, err)
	if len(s.recs) != 3 || s.tail != 4096 || len(s.skipped) != 0 {
		t.Errorf("scan: %d records, tail %d, skipped %v; want 3, 4096, none", len(s.recs), s.tail, s.skipped)
	}
}

// TestDamagedLogRecordInMiddle: a record damaged in the middle of a log
// (a flipped payload byte, or a length field that now points past the
// end) is skipped, and the records after it, already acknowledged, are
// kept; before, the replay stopped there and dropped them all.
func TestDamagedLogRecordInMiddle(t *testing.T) {
	for name, damage := range map[string]func(f []byte){
		"payload byte flipped": func(f []byte) { f[len(f)/2] ^= 0x10 },
		"length too long":      func(f []byte) { f[3] = 0x7f },
		"length too short":     func(f []byte) { f[0]-- },
		"zeroed":               func(f []byte) { clear(f) },
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.db")
			must(t, openAt(t, path, Options{}).Close())
			_, each := txnFrames(0, 6)
			damage(each[2])
			var b []byte
			for _, f := range each {
				b = append(b, f...)
			}
			s, err := scanFrames(b)
			must(t, err)
			if len(s.recs) != 5 || len(s.skipped) != 1 || s.skipped[0].n != int64(len(each[2])) || s.tail != 0 {
				t.Errorf("scan: %d records, skipped %v, tail %d; want 5, one span of %d bytes, 0",
					len(s.recs), s.skipped, s.tail, len(each[2]))
			}
			must(t, os.WriteFile(walPath(path, 3), b, 0o600))
			db, err := Open(path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() { db.Close() })
			wantTxns(t, db, []int{0, 1, 3, 4, 5}, []int{2})
		})
	}
}

// TestCorruptLogRecordRefused: a whole record (good checksum) of an unknown
// kind is a bug or a newer format, not a torn write: Open says so.
func TestCorruptLogRecordRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db := openAt(t, path, Options{})
	must(t, db.Close())
	b := appendFrame(nil, &hotRec{kind: 99})
	must(t, os.WriteFile(walPath(path, 1), b, 0o600))
	_, err := Open(path)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open with a corrupt log record: %v, want ErrCorrupt", err)
	}
}

// TestBackgroundCheckpoint: once enough records are logged they reach
// bbolt without any reader or writer asking, and their log file goes;
// readers see every write all along.
func TestBackgroundCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db := openAt(t, path, Options{CheckpointRecords: 16, CheckpointInterval: time.Hour})
	for i := range 100 {
		ref := MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: fmt.Sprint("r", i), OriginID: fmt.Sprint("o", i)}
		must(t, db.PutSent(bg, ref, fmt.Sprint("o", i)))
		if r, err := db.LookupXMPP("wa", "l", "c", fmt.Sprint("o", i)); err != nil || r.RemoteID != ref.RemoteID {
			t.Fatalf("read after write %d: %+v, %v", i, r, err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := 0
		must(t, db.view(func(tx *bbolt.Tx) error {
			if m := sub(loginBucket(tx, "wa", "l"), bMsgs); m != nil {
				n = m.Stats().KeyN
			}
			return nil
		}))
		if n >= 93 { // the live generation keeps up to 15 records (7 refs) below the threshold
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 100 refs in bbolt after 10 s", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	gens, err := listWAL(path)
	must(t, err)
	if len(gens) > 2 {
		t.Errorf("log files kept after checkpoints: %v", gens)
	}
	for i := range 100 {
		if got, err := db.GetTxn("wa", "l", fmt.Sprint("o", i)); err != nil || got != fmt.Sprint("r", i) {
			t.Fatalf("txn o%d = %q, %v", i, got, err)
		}
	}
	must(t, db.Close())
	if gens, _ := listWAL(path); len(gens) != 0 {
		t.Errorf("log files after Close: %v", gens)
	}
}

// TestLogWriteFailure: a failed log write fails its batch, and nothing
// more is written to that file (what follows a torn record would be lost
// at replay): the store moves to a new log file, the failed one's good
// records go to bbolt with its checkpoint, and later writes succeed and
// survive a reopening.
func TestLogWriteFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := Open(path)
	must(t, err)
	must(t, db.PutTxn(bg, "wa", "l", "t1", "r1"))
	broken := db.live.wal.path
	db.live.wal.f.Close() // the next write fails
	if err := db.PutTxn(bg, "wa", "l", "t2", "r2"); err == nil {
		t.Fatal("a write into a failed log succeeded")
	}
	_, err = db.GetTxn("wa", "l", "t2")
	wantNotFound(t, "failed write", err)
	must(t, db.PutTxn(bg, "wa", "l", "t3", "r3"))
	if db.live.wal.path == broken {
		t.Error("still writing to the failed log")
	}
	must(t, db.Flush(bg))
	if _, err := os.Stat(broken); !os.IsNotExist(err) {
		t.Errorf("the failed log is still there after its checkpoint: %v", err)
	}
	must(t, db.Close())
	db, err = Open(path)
	must(t, err)
	defer db.Close()
	for txn, want := range map[string]string{"t1": "r1", "t3": "r3"} {
		if got, err := db.GetTxn("wa", "l", txn); err != nil || got != want {
			t.Errorf("after reopening, %s = %q, %v; want %q", txn, got, err, want)
		}
	}
	_, err = db.GetTxn("wa", "l", "t2")
	wantNotFound(t, "failed write after reopening", err)
}

// TestSentBefore: a txn is known from its own record or from the user's
// message that carries it as an XMPP ID, whether still in the log or in
// bbolt; a contact's message with that ID, or another chat, does not count.
func TestSentBefore(t *testing.T) {
	db := openTemp(t)
	must(t, db.PutTxn(bg, "wa", "l", "edit1", "-"))
	must(t, db.PutSent(bg, MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: "r1", OriginID: "o1", ID: "i1", FromMe: true}, ""))
	_, _, err := db.CommitEvents(bg, "wa", []InboundEvent{{LoginID: "l", ChatID: "c", DedupID: "r2", Payload: []byte("x"),
		Ref: &MessageRef{RemoteID: "r2", ID: "theirs"}, DedupByRef: true}})
	must(t, err)
	check := func(when string) {
		t.Helper()
		for _, c := range []struct {
			chat, txn string
			want      bool
		}{
			{"c", "edit1", true}, {"other", "edit1", true}, // txns are per login
			{"c", "o1", true}, {"c", "i1", true},
			{"other", "o1", false}, {"c", "theirs", false}, {"c", "nope", false},
		} {
			got, err := db.SentBefore("wa", "l", c.chat, c.txn)
			if err != nil || got != c.want {
				t.Errorf("%s: SentBefore(%s, %s) = %v, %v; want %v", when, c.chat, c.txn, got, err, c.want)
			}
		}
	}
	check("in the log")
	must(t, db.Flush(bg))
	check("in bbolt")
	if _, err := db.SentBefore("wa", "l", "c", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty txn: %v, want ErrInvalid", err)
	}
}

// TestAppliedLogNotReplayed: a log file whose checkpoint committed but
// whose removal was lost (a crash in between) is not replayed over newer
// writes, and generations keep counting up across reopenings.
func TestAppliedLogNotReplayed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db := openAt(t, path, Options{})
	must(t, db.PutTxn(bg, "wa", "l", "t1", "old"))
	must(t, db.Flush(bg)) // generation 1 checkpointed
	stale := appendFrame(nil, &hotRec{kind: recTxn, transport: "wa", login: "l", id: "t1", remote: "old", at: time.Now()})
	must(t, db.PutTxn(bg, "wa", "l", "t1", "new"))
	must(t, db.Close())
	must(t, os.WriteFile(walPath(path, 1), stale, 0o600))

	db = openAt(t, path, Options{})
	if got, err := db.GetTxn("wa", "l", "t1"); err != nil || got != "new" {
		t.Fatalf("txn after reopening = %q, %v; want new (the applied log was replayed)", got, err)
	}
	if _, err := os.Stat(walPath(path, 1)); !os.IsNotExist(err) {
		t.Errorf("applied log file left in place: %v", err)
	}
	gens, err := listWAL(path)
	must(t, err)
	if len(gens) != 1 || gens[0] <= 2 {
		t.Errorf("live generation after reopening: %v, want one above 2", gens)
	}
}

// TestGenerationReuse: a checkpointed generation's room is reused by a
// later one, which starts empty; what was written before and since reads
// back right.
func TestGenerationReuse(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "p.db"), Options{CheckpointRecords: 1 << 20, CheckpointInterval: time.Hour})
	gen0 := func() *hotGen { db.hmu.RLock(); defer db.hmu.RUnlock(); return db.live }()
	put := func(remote, origin string) {
		t.Helper()
		must(t, db.PutSent(bg, MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: remote, OriginID: origin}, origin))
	}
	put("r1", "o1")
	must(t, db.Flush(bg)) // gen0 checkpointed: the spare
	put("r2", "o2")
	must(t, db.Flush(bg)) // the next live generation is gen0 again
	db.hmu.RLock()
	live, n := db.live, len(db.live.recs)+len(db.live.refs)+len(db.live.xidx)+len(db.live.txns)+len(db.live.dedup)
	db.hmu.RUnlock()
	if live != gen0 {
		t.Fatal("the checkpointed generation was not reused")
	}
	if n != 0 {
		t.Fatalf("reused generation holds %d entries, want none", n)
	}
	put("r1", "o1b") // replaced, into the reused generation
	for origin, want := range map[string]string{"o1b": "r1", "o2": "r2"} {
		if r, err := db.LookupXMPP("wa", "l", "c", origin); err != nil || r.RemoteID != want {
			t.Errorf("LookupXMPP(%s) = %+v, %v; want %s", origin, r, err, want)
		}
	}
	if r, err := db.LookupRemote("wa", "l", "c", "r1"); err != nil || r.OriginID != "o1b" {
		t.Errorf("LookupRemote(r1) = %+v, %v; want origin-id o1b", r, err)
	}
}

// TestCheckpointBacklog: while a slow checkpoint runs the log takes
// backlogFactor times CheckpointRecords more records, then writes wait
// for the checkpoint instead of letting memory grow; once it ends they
// all go through.
func TestCheckpointBacklog(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	db := openAt(t, filepath.Join(t.TempDir(), "p.db"), Options{CheckpointRecords: 4, CheckpointInterval: time.Hour})
	db.ckHook = func() error {
		select {
		case started <- struct{}{}:
		default:
		}
		<-release
		return nil
	}
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(free) // before Close, which waits for the checkpoint
	put := func(i int) error { return db.PutTxn(bg, "wa", "l", fmt.Sprint("t", i), fmt.Sprint("r", i)) }
	for i := range 4 {
		must(t, put(i))
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("no checkpoint started after 4 records")
	}
	const total = 200
	var done atomic.Int32
	errs := make(chan error, 1)
	go func() {
		for i := 4; i < 4+total; i++ {
			if err := put(i); err != nil {
				errs <- err
				return
			}
			done.Add(1)
		}
		errs <- nil
	}()
	// Wait until the writes stop moving.
	last := int32(-1)
	for deadline := time.Now().Add(10 * time.Second); ; {
		time.Sleep(200 * time.Millisecond)
		n := done.Load()
		if n == last || n == total || time.Now().After(deadline) {
			break
		}
		last = n
	}
	if n := done.Load(); n < backlogFactor*4 || n >= total {
		t.Fatalf("%d writes went through behind a stuck checkpoint, want at least %d and not all %d", n, backlogFactor*4, total)
	}
	free()
	select {
	case err := <-errs:
		must(t, err)
	case <-time.After(30 * time.Second):
		t.Fatalf("writes still stuck after the checkpoint ended: %d of %d", done.Load(), total)
	}
	for _, i := range []int{0, 100, total + 3} {
		if got, err := db.GetTxn("wa", "l", fmt.Sprint("t", i)); err != nil || got != fmt.Sprint("r", i) {
			t.Errorf("txn t%d = %q, %v", i, got, err)
		}
	}
}

// TestCheckpointFailureBacklog: while checkpoints fail, the log takes
// backlogFactor times CheckpointRecords records, then hot writes are
// refused with the checkpoint's error instead of letting memory grow
// without bound (before, every write went through); once a checkpoint
// succeeds they go through again, and what was taken is kept.
func TestCheckpointFailureBacklog(t *testing.T) {
	errDisk := errors.New("disk trouble")
	var failing atomic.Bool
	failing.Store(true)
	db := openAt(t, filepath.Join(t.TempDir(), "p.db"), Options{CheckpointRecords: 4, CheckpointInterval: time.Hour})
	db.ckHook = func() error {
		if failing.Load() {
			return errDisk
		}
		return nil
	}
	put := func(i int) error { return db.PutTxn(bg, "wa", "l", fmt.Sprint("t", i), fmt.Sprint("r", i)) }
	const total = 400
	taken := 0
	var refused error
	for i := range total {
		if refused = put(i); refused != nil {
			break
		}
		taken++
	}
	if !errors.Is(refused, errDisk) || taken < backlogFactor*4 {
		t.Fatalf("%d writes taken while checkpoints fail, then %v; want at least %d, then the checkpoint's error", taken, refused, backlogFactor*4)
	}
	failing.Store(false)
	for deadline := time.Now().Add(30 * time.Second); put(total) != nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("writes still refused after checkpoints succeed again")
		}
	}
	for _, i := range []int{0, taken - 1, total} {
		if got, err := db.GetTxn("wa", "l", fmt.Sprint("t", i)); err != nil || got != fmt.Sprint("r", i) {
			t.Errorf("txn t%d = %q, %v", i, got, err)
		}
	}
}

// TestDedupAfterBucketsCreated: the writer finds a login's buckets once
// per batch. A login with no buckets yet, checked in one batch, must be
// read afresh in a later one, once a checkpoint created them and its
// events are no longer in the log.
func TestDedupAfterBucketsCreated(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "p.db"), Options{CheckpointRecords: 1 << 20, CheckpointInterval: time.Hour})
	for _, byRef := range []bool{false, true} {
		login := fmt.Sprint("new-", byRef)
		ev := InboundEvent{LoginID: login, ChatID: "c", DedupID: "m1", Payload: []byte("1"), DedupByRef: byRef,
			Ref: &MessageRef{RemoteID: "m1", ID: "x1"}}
		fresh, _, err := db.CommitEvents(bg, "wa", []InboundEvent{ev})
		must(t, err)
		if !fresh[0] {
			t.Fatalf("byRef %v: first event not fresh", byRef)
		}
		must(t, db.Flush(bg))
		must(t, db.Flush(bg)) // its generation checkpointed and gone: bbolt alone has it
		fresh, _, err = db.CommitEvents(bg, "wa", []InboundEvent{ev})
		must(t, err)
		if fresh[0] {
			t.Errorf("byRef %v: duplicate stored once the login's buckets were created", byRef)
		}
	}
}

// inBolt reports whether txn is in bbolt itself (not only in the log).
func inBolt(t *testing.T, db *DB, login, txn string) bool {
	t.Helper()
	found := false
	must(t, db.view(func(tx *bbolt.Tx) error {
		b := sub(loginBucket(tx, "wa", login), bTxn)
		found = b != nil && b.Get([]byte(txn)) != nil
		return nil
	}))
	return found
}

// TestPlainWritesDoNotCheckpoint: the plugin's saved state, puppets,
// presence approval and logins are bbolt writes of their own; they no
// longer make the writer apply the whole log to bbolt first (before,
// each did, synchronously). The writes that do depend on the log still
// see it: a login deleted, or replaced by another login ID, takes its
// logged records with it, also after a reopen; a prune reaches them.
func TestPlainWritesDoNotCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db := openAt(t, path, Options{CheckpointRecords: 1 << 20, CheckpointInterval: time.Hour})
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "a@x", LoginID: "l1"}))
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "b@x", LoginID: "l2"}))
	must(t, db.PutTxn(bg, "wa", "l1", "t1", "r1"))
	must(t, db.PutTxn(bg, "wa", "l2", "t2", "r2"))
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "a@x", LoginID: "l1", DisplayName: "A"}))
	must(t, db.SetSavedState(bg, "wa", "a@x", []byte("state")))
	must(t, db.PutPuppets(bg, []Puppet{{Transport: "wa", LoginID: "l1", UserID: "u1", Name: "U"}}))
	must(t, db.DeletePuppets(bg, "wa", "l1", []string{"u0"}))
	must(t, db.SetSeesPresence(bg, "wa", "a@x", true))
	if inBolt(t, db, "l1", "t1") {
		t.Fatal("a plain write checkpointed the log")
	}
	if l, err := db.GetLogin("wa", "a@x"); err != nil || string(l.SavedState) != "state" || !l.SeesPresence || l.DisplayName != "A" {
		t.Errorf("login = %+v, %v", l, err)
	}
	if got, err := db.GetTxn("wa", "l1", "t1"); err != nil || got != "r1" {
		t.Errorf("logged txn = %q, %v", got, err)
	}

	// b@x logs in with another account: l2's logged txn goes with l2.
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "b@x", LoginID: "l3"}))
	_, err := db.GetTxn("wa", "l2", "t2")
	wantNotFound(t, "txn of a replaced login ID", err)
	// a@x is deleted: l1's logged txn goes too.
	must(t, db.PutTxn(bg, "wa", "l1", "t3", "r3"))
	must(t, db.DeleteLogin(bg, "wa", "a@x"))
	for _, txn := range []string{"t1", "t3"} {
		_, err := db.GetTxn("wa", "l1", txn)
		wantNotFound(t, "txn of a deleted login "+txn, err)
	}
	db = reopen(t, db)
	for _, k := range [][2]string{{"l1", "t1"}, {"l1", "t3"}, {"l2", "t2"}} {
		_, err := db.GetTxn("wa", k[0], k[1])
		wantNotFound(t, "after reopen, txn "+k[1], err)
	}
	if ps, err := db.ListPuppets("wa", "l1"); err != nil || len(ps) != 0 {
		t.Errorf("puppets of a deleted login: %v, %v", ps, err)
	}
}

// TestDamageBeforeLongRecord: past damage, the search finds a frame
// longer than it sums directly (its checksum from the file's running
// checksum), and the records after it.
func TestDamageBeforeLongRecord(t *testing.T) {
	junk := make([]byte, 70_000)
	rand.NewChaCha8([32]byte{3}).Read(junk)
	long := appendFrame(nil, &hotRec{kind: recOutbox, transport: "wa", key: 9, val: bytes.Repeat([]byte("v"), 100_000)})
	good, _ := txnFrames(0, 2)
	after, _ := txnFrames(2, 4)
	b := slices.Concat(good, junk, long, after)
	s, err := scanFrames(b)
	must(t, err)
	if len(s.recs) != 5 || s.recs[2].key != 9 || len(s.skipped) != 1 || s.skipped[0] != (logSpan{int64(len(good)), int64(len(junk))}) || s.tail != 0 {
		t.Errorf("scan: %d records, skipped %v, tail %d; want 5 (the third the long one), one span of %d bytes at %d, 0",
			len(s.recs), s.skipped, s.tail, len(junk), len(good))
	}
}
