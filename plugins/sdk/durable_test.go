package sdk

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// fsyncLog records the fsyncs of a journal (file or folder names) and
// what the folder held at each.
type fsyncLog struct {
	mu    sync.Mutex
	calls []string
	fail  error
}

func (l *fsyncLog) fsync(f *os.File) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, f.Name())
	if l.fail != nil {
		return l.fail
	}
	return f.Sync()
}

func (l *fsyncLog) names() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// journalQueue is a queue on a journal in a new folder whose fsyncs go
// to l.
func journalQueue(t *testing.T, l *fsyncLog) (*eventQueue, string) {
	t.Helper()
	dir := t.TempDir()
	j, pending, acked, maxSeq := mustOpenJournal(t, dir)
	j.fsync = l.fsync
	return newEventQueue(j, pending, acked, maxSeq, discardLogger()), dir
}

// TestEmitDurableSyncs: EmitDurable returns once the journal is fsynced
// with the event in it, and reports a failed fsync, so a plugin does not
// confirm to its network an event only the page cache holds. Emit alone
// does not fsync.
func TestEmitDurableSyncs(t *testing.T) {
	l := &fsyncLog{}
	q, dir := journalQueue(t, l)
	s := newServer(newFakeTransport())
	s.q = q
	h := host{s}
	h.Emit(msgEvent("plain"))
	q.flush()
	if calls := l.names(); len(calls) != 0 {
		t.Fatalf("Emit fsynced %v", calls)
	}
	if err := h.EmitDurable(testContext(t), msgEvent("durable")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, journalName)
	if calls := l.names(); !slices.Equal(calls, []string{path}) {
		t.Fatalf("EmitDurable fsynced %v, want the journal once", calls)
	}
	// The fsync covered the record: it is in the file.
	data, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(data), "durable") {
		t.Fatalf("journal after EmitDurable lacks the event (%v)", err)
	}
	// Nothing new written: no second fsync.
	if err := q.sync(2); err != nil || len(l.names()) != 1 {
		t.Fatalf("sync with nothing new: %v, %d fsyncs", err, len(l.names()))
	}
	// Acknowledged by the host: nothing to wait for.
	q.ack(2)
	if err := q.sync(2); err != nil || len(l.names()) != 1 {
		t.Fatalf("sync of an acknowledged event: %v, %d fsyncs", err, len(l.names()))
	}

	l.mu.Lock()
	l.fail = errors.New("disk on fire")
	l.mu.Unlock()
	if err := h.EmitDurable(testContext(t), msgEvent("lost?")); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("EmitDurable with a failing fsync: %v, want the error", err)
	}
}

// TestEmitDurableWithoutDataDir waits for the host's ack instead.
func TestEmitDurableWithoutDataDir(t *testing.T) {
	h, q := newTestHost(t)
	done := make(chan error, 1)
	go func() { done <- h.EmitDurable(testContext(t), msgEvent("a")) }()
	select {
	case err := <-done:
		t.Fatalf("EmitDurable returned (%v) with no journal and no ack", err)
	case <-time.After(50 * time.Millisecond):
	}
	q.ack(1)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestCompactionRenameDurable: a compaction fsyncs the new file before it
// replaces the log, and the folder after, so a machine crash leaves the
// old log or the whole new one, never a name without its data.
func TestCompactionRenameDurable(t *testing.T) {
	l := &fsyncLog{}
	dir := t.TempDir()
	j, _, _, _ := mustOpenJournal(t, dir)
	path := filepath.Join(dir, journalName)
	var states []string // at each fsync: does the temporary file still exist?
	j.fsync = func(f *os.File) error {
		_, err := os.Stat(path + ".tmp")
		states = append(states, strings.TrimPrefix(f.Name(), dir)+" tmp="+map[bool]string{true: "yes", false: "no"}[err == nil])
		return l.fsync(f)
	}
	evs := writeEvents(t, j, 1, 20)
	if err := j.appendAck(18); err != nil {
		t.Fatal(err)
	}
	if err := j.compact(evs[18:], 18, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/" + journalName + ".tmp tmp=yes", // the snapshot, written
		"/" + journalName + ".tmp tmp=yes", // before the rename
		" tmp=no",                          // the folder, after it
	}
	if !slices.Equal(states, want) {
		t.Fatalf("fsyncs during compaction %q, want %q", states, want)
	}
	j.close()
	_, pending, acked, _ := mustOpenJournal(t, dir)
	if got := seqs(pending); !slices.Equal(got, []uint64{19, 20}) || acked != 18 {
		t.Fatalf("after compaction pending %v acked %d, want [19 20] and 18", got, acked)
	}
}

// TestCompactionDoesNotBlockEmits: while a compaction writes its snapshot
// (held here by a hook), emits, txn answers, acks and EmitDurable go on;
// what they wrote is in the new log once it is swapped in.
func TestCompactionDoesNotBlockEmits(t *testing.T) {
	l := &fsyncLog{}
	q, dir := journalQueue(t, l)
	entered, release := make(chan struct{}), make(chan struct{})
	q.compactHook = func() {
		close(entered)
		<-release
	}
	big := strings.Repeat("x", 1<<20)
	var last uint64
	for range compactBytes/(1<<20) + 2 {
		last, _ = q.emit(msgEvent(big))
	}
	keep, _ := q.emit(msgEvent("kept"))
	acked := make(chan struct{})
	go func() {
		q.ack(last) // compacts
		close(acked)
	}()
	select {
	case <-entered:
	case <-time.After(waitLimit):
		t.Fatal("no compaction started")
	}

	during := make(chan struct{})
	var seqDuring, seqDurable uint64
	go func() {
		defer close(during)
		seqDuring, _ = q.emit(msgEvent("during"))
		q.appendTxn(txnAnswer{"l\x00t-during", &pb.CommandResult{MessageId: "m"}})
		q.flush()
		q.ack(keep) // "kept" is acknowledged while the snapshot still holds it
		ev := msgEvent("durable-during")
		seqDurable, _ = q.emit(ev)
		if err := q.sync(seqDurable); err != nil {
			t.Errorf("sync during compaction: %v", err)
		}
	}()
	select {
	case <-during:
	case <-time.After(waitLimit):
		// The hook holds the compaction until released below: had it
		// the queue's lock, they would wait forever.
		t.Fatal("emits, acks and syncs wait for the compaction to finish")
	}
	select {
	case <-acked:
		t.Fatal("the compaction finished before the hook released it")
	default:
	}
	close(release)
	<-acked
	q.close()

	if size := journalSize(t, dir); size > 1<<20 {
		t.Fatalf("journal is %d bytes after compaction", size)
	}
	j, pending, ackedSeq, maxSeq := mustOpenJournal(t, dir)
	if got := seqs(pending); !slices.Equal(got, []uint64{seqDuring, seqDurable}) || ackedSeq != keep || maxSeq != seqDurable {
		t.Fatalf("after compaction pending %v acked %d max %d, want [%d %d], %d, %d", got, ackedSeq, maxSeq, seqDuring, seqDurable, keep, seqDurable)
	}
	if !slices.ContainsFunc(j.txns, func(a txnAnswer) bool { return a.key == "l\x00t-during" }) {
		t.Fatalf("the answer logged during compaction is lost: %v", j.txns)
	}
}
