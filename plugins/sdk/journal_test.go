package sdk

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

func mustOpenJournal(t *testing.T, dir string) (j *journal, pending []*pb.Event, acked, maxSeq uint64) {
	t.Helper()
	j, pending, acked, maxSeq, err := openJournal(dir)
	if err != nil {
		t.Fatalf("openJournal: %v", err)
	}
	t.Cleanup(func() { j.close() })
	return j, pending, acked, maxSeq
}

// writeEvents appends events with seq from..to (text "ev<seq>") and
// returns them.
func writeEvents(t *testing.T, j *journal, from, to uint64) []*pb.Event {
	t.Helper()
	var evs []*pb.Event
	for s := from; s <= to; s++ {
		ev := msgEvent("ev" + strconv.FormatUint(s, 10))
		ev.Seq = s
		if err := j.appendEvent(ev); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func journalSize(t *testing.T, dir string) int64 {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, journalName))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestJournalEmpty(t *testing.T) {
	dir := t.TempDir()
	_, pending, acked, maxSeq := mustOpenJournal(t, dir)
	if len(pending) != 0 || acked != 0 || maxSeq != 0 {
		t.Fatalf("new journal: pending %v acked %d max %d, want nothing", seqs(pending), acked, maxSeq)
	}
}

func TestJournalAckedEventsNotReturned(t *testing.T) {
	dir := t.TempDir()
	j, _, _, _ := mustOpenJournal(t, dir)
	writeEvents(t, j, 1, 5)
	if err := j.appendAck(3); err != nil {
		t.Fatal(err)
	}
	j.close()

	_, pending, acked, maxSeq := mustOpenJournal(t, dir)
	if got, want := seqs(pending), []uint64{4, 5}; !slices.Equal(got, want) {
		t.Errorf("pending = %v, want %v", got, want)
	}
	if acked != 3 || maxSeq != 5 {
		t.Errorf("acked %d max %d, want 3 and 5", acked, maxSeq)
	}
	if pending[0].GetMessage().GetText() == "" || pending[0].EventId == "" {
		t.Errorf("event content lost: %v", pending[0])
	}
}

func TestJournalAckOfEverything(t *testing.T) {
	dir := t.TempDir()
	j, _, _, _ := mustOpenJournal(t, dir)
	writeEvents(t, j, 1, 3)
	// Acks are cumulative; an older, lower ack after a higher one does
	// not bring events back.
	if err := j.appendAck(3); err != nil {
		t.Fatal(err)
	}
	if err := j.appendAck(1); err != nil {
		t.Fatal(err)
	}
	j.close()
	_, pending, acked, maxSeq := mustOpenJournal(t, dir)
	if len(pending) != 0 || acked != 3 || maxSeq != 3 {
		t.Fatalf("pending %v acked %d max %d, want none, 3, 3", seqs(pending), acked, maxSeq)
	}
}

// A process killed in the middle of a write leaves a torn last record;
// whatever the cut, it is dropped, every complete record before it is kept
// and the file is repaired so that new records follow the good ones.
func TestJournalTornLastRecord(t *testing.T) {
	src := t.TempDir()
	j, _, _, _ := mustOpenJournal(t, src)
	writeEvents(t, j, 1, 2)
	if err := j.appendAck(1); err != nil {
		t.Fatal(err)
	}
	good := j.size
	writeEvents(t, j, 3, 3)
	j.close()
	whole, err := os.ReadFile(filepath.Join(src, journalName))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(whole)) <= good+1 {
		t.Fatalf("journal too small: %d", len(whole))
	}

	for cut := good + 1; cut < int64(len(whole)); cut++ {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, journalName), whole[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		j, pending, acked, maxSeq := mustOpenJournal(t, dir)
		if got := seqs(pending); !slices.Equal(got, []uint64{2}) || acked != 1 || maxSeq != 2 {
			t.Fatalf("cut at %d: pending %v acked %d max %d, want [2], 1, 2", cut, got, acked, maxSeq)
		}
		if size := journalSize(t, dir); size != good {
			t.Fatalf("cut at %d: file is %d bytes after repair, want %d", cut, size, good)
		}
		// New records land after the good ones and are read back.
		writeEvents(t, j, 3, 3)
		j.close()
		_, pending, _, maxSeq = mustOpenJournal(t, dir)
		if got := seqs(pending); !slices.Equal(got, []uint64{2, 3}) || maxSeq != 3 {
			t.Fatalf("cut at %d, after append: pending %v max %d, want [2 3], 3", cut, got, maxSeq)
		}
	}
}

func TestJournalGarbageTailCutOff(t *testing.T) {
	dir := t.TempDir()
	j, _, _, _ := mustOpenJournal(t, dir)
	writeEvents(t, j, 1, 2)
	good := j.size
	j.close()
	f, err := os.OpenFile(filepath.Join(dir, journalName), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("Xnot a record"))
	f.Close()

	_, pending, _, maxSeq := mustOpenJournal(t, dir)
	if got := seqs(pending); !slices.Equal(got, []uint64{1, 2}) || maxSeq != 2 {
		t.Fatalf("pending %v max %d, want [1 2], 2", got, maxSeq)
	}
	if size := journalSize(t, dir); size != good {
		t.Fatalf("file is %d bytes, want %d", size, good)
	}
}

// A complete record whose event does not decode is skipped; the events
// around it are kept.
func TestJournalUndecodableRecordSkipped(t *testing.T) {
	dir := t.TempDir()
	j, _, _, _ := mustOpenJournal(t, dir)
	writeEvents(t, j, 1, 1)
	if err := j.write(recEvent, []byte{0xff, 0xff, 0xff}); err != nil {
		t.Fatal(err)
	}
	writeEvents(t, j, 3, 3)
	j.close()
	_, pending, _, maxSeq := mustOpenJournal(t, dir)
	if got := seqs(pending); !slices.Equal(got, []uint64{1, 3}) || maxSeq != 3 {
		t.Fatalf("pending %v max %d, want [1 3], 3", got, maxSeq)
	}
}

func TestJournalCompactKeepsOnlyPending(t *testing.T) {
	dir := t.TempDir()
	j, _, _, _ := mustOpenJournal(t, dir)
	evs := writeEvents(t, j, 1, 50)
	if err := j.appendAck(47); err != nil {
		t.Fatal(err)
	}
	before := j.size
	if err := j.compact(evs[47:], 47, nil); err != nil {
		t.Fatalf("compact: %v", err)
	}
	if j.size >= before || j.size != journalSize(t, dir) {
		t.Fatalf("after compaction size %d (file %d), before %d", j.size, journalSize(t, dir), before)
	}
	if _, err := os.Stat(filepath.Join(dir, journalName+".tmp")); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind: %v", err)
	}
	// The compacted log still takes appends.
	writeEvents(t, j, 51, 51)
	j.close()

	_, pending, acked, maxSeq := mustOpenJournal(t, dir)
	if got, want := seqs(pending), []uint64{48, 49, 50, 51}; !slices.Equal(got, want) {
		t.Errorf("pending = %v, want %v", got, want)
	}
	if acked != 47 || maxSeq != 51 {
		t.Errorf("acked %d max %d, want 47 and 51", acked, maxSeq)
	}
	if len(pending) > 0 && pending[0].GetMessage().GetText() != "ev48" {
		t.Errorf("first pending event is %v, want text ev48", pending[0])
	}
}

// When everything is acknowledged, compaction leaves only the ack, and
// the seq numbering still continues after a reopen.
func TestJournalCompactAllAckedKeepsNumbering(t *testing.T) {
	dir := t.TempDir()
	j, _, _, _ := mustOpenJournal(t, dir)
	writeEvents(t, j, 1, 9)
	if err := j.compact(nil, 9, nil); err != nil {
		t.Fatal(err)
	}
	j.close()
	_, pending, acked, maxSeq := mustOpenJournal(t, dir)
	if len(pending) != 0 || acked != 9 || maxSeq != 9 {
		t.Fatalf("pending %v acked %d max %d, want none, 9, 9", seqs(pending), acked, maxSeq)
	}
}

// The queue compacts the journal on its own once it grows past
// compactBytes and everything is acknowledged.
func TestQueueCompactsJournal(t *testing.T) {
	dir := t.TempDir()
	j, pending, acked, maxSeq := mustOpenJournal(t, dir)
	q := newEventQueue(j, pending, acked, maxSeq, discardLogger())
	// The rewrite keeps the answers the txn cache still holds.
	kept := txnAnswer{"l\x00t", &pb.CommandResult{MessageId: "m"}}
	q.txns = func() []txnAnswer { return []txnAnswer{kept} }
	q.appendTxn(txnAnswer{"l\x00gone", &pb.CommandResult{MessageId: "evicted"}})
	big := strings.Repeat("x", 1<<20)
	var last uint64
	for range compactBytes/(1<<20) + 2 {
		last, _ = q.emit(msgEvent(big))
	}
	keep, _ := q.emit(msgEvent("small"))
	q.ack(last)
	if size := journalSize(t, dir); size > 1<<20 {
		t.Fatalf("journal is %d bytes after everything but one small event was acknowledged", size)
	}
	j.close()
	j, pending, acked, maxSeq = mustOpenJournal(t, dir)
	if got := seqs(pending); !slices.Equal(got, []uint64{keep}) || acked != last || maxSeq != keep {
		t.Fatalf("pending %v acked %d max %d, want [%d], %d, %d", got, acked, maxSeq, keep, last, keep)
	}
	if len(j.txns) != 1 || j.txns[0].key != kept.key {
		t.Fatalf("answers after the rewrite %v, want only %v", j.txns, kept)
	}
}

func TestJournalReopenContinuesSeq(t *testing.T) {
	dir := t.TempDir()
	j, pending, acked, maxSeq := mustOpenJournal(t, dir)
	q := newEventQueue(j, pending, acked, maxSeq, discardLogger())
	for i := range 3 {
		if seq, _ := q.emit(msgEvent("a")); seq != uint64(i+1) {
			t.Fatalf("seq %d, want %d", seq, i+1)
		}
	}
	q.ack(3)
	q.close()

	j, pending, acked, maxSeq = mustOpenJournal(t, dir)
	q = newEventQueue(j, pending, acked, maxSeq, discardLogger())
	if seq, _ := q.emit(msgEvent("b")); seq != 4 {
		t.Fatalf("first seq after reopen = %d, want 4", seq)
	}
	q.close()

	_, pending, _, _ = mustOpenJournal(t, dir)
	if len(pending) != 1 || pending[0].Seq != 4 || pending[0].GetMessage().GetText() != "b" {
		t.Fatalf("pending after second reopen: %v", pending)
	}
}

// The record format is part of what a newer SDK must read: kind byte,
// uvarint length, payload.
func TestJournalRecordFormat(t *testing.T) {
	dir := t.TempDir()
	j, _, _, _ := mustOpenJournal(t, dir)
	ev := msgEvent("hi")
	ev.Seq = 7
	if err := j.appendEvent(ev); err != nil {
		t.Fatal(err)
	}
	if err := j.appendAck(7); err != nil {
		t.Fatal(err)
	}
	j.close()
	data, err := os.ReadFile(filepath.Join(dir, journalName))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := proto.Marshal(ev)
	want := append([]byte{recEvent}, binary.AppendUvarint(nil, uint64(len(payload)))...)
	want = append(want, payload...)
	want = append(want, recAck, 1, 7)
	if !slices.Equal(data, want) {
		t.Fatalf("journal bytes\n got %x\nwant %x", data, want)
	}
}

// With a large backlog that the host acknowledges bit by bit (it was away
// and catches up), the journal is not rewritten on every ack: only once
// the acknowledged part outweighs what is still pending.
func TestQueueCompactionAmortized(t *testing.T) {
	dir := t.TempDir()
	j, pending, acked, maxSeq := mustOpenJournal(t, dir)
	q := newEventQueue(j, pending, acked, maxSeq, discardLogger())
	big := strings.Repeat("x", 512<<10)
	n := 3 * compactBytes / (512 << 10) / 2 // 1.5 × compactBytes in all
	for i := range n {
		q.emit(&pb.Event{LoginId: "l", ChatId: "c", EventId: strconv.Itoa(i), Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: big}}})
	}
	stat := func() os.FileInfo {
		fi, err := os.Stat(filepath.Join(dir, journalName))
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	rewrites := 0
	prev := stat()
	for seq := 1; seq <= n/4; seq++ {
		q.ack(uint64(seq))
		if cur := stat(); !os.SameFile(prev, cur) {
			rewrites++
			prev = cur
		}
	}
	if rewrites != 0 {
		t.Fatalf("journal rewritten %d times while a quarter of the backlog was acknowledged one event at a time", rewrites)
	}
	// Once most of it is acknowledged, it is compacted.
	q.ack(uint64(n - 1))
	if size := stat().Size(); size > 1<<20 {
		t.Fatalf("journal is %d bytes with one event pending", size)
	}
	q.close()
	_, pending, _, _ = mustOpenJournal(t, dir)
	if got := seqs(pending); !slices.Equal(got, []uint64{uint64(n)}) {
		t.Fatalf("pending after reopen: %v, want [%d]", got, n)
	}
}

// Answers to txn_ids are journal records: read back in order after a
// reopen, kept by a rewrite, and a torn last one is cut off.
func TestJournalTxnRecords(t *testing.T) {
	dir := t.TempDir()
	j, _, _, _ := mustOpenJournal(t, dir)
	// a1 has metadata; a2 has none and is written as before metadata;
	// a3 names a created chat, a4 both, a5 has only an expiry (the
	// message's disappearing timer), a6 all three.
	a1 := txnAnswer{"l\x00t1", &pb.CommandResult{MessageId: "m1", TimestampUnixMicro: -5, Meta: []byte("from-me\x00")}}
	a2 := txnAnswer{"l\x00t2", &pb.CommandResult{MessageId: "", TimestampUnixMicro: 1 << 40}}
	a3 := txnAnswer{"l\x00t3", &pb.CommandResult{TimestampUnixMicro: 7, ChatId: "-1001"}}
	a4 := txnAnswer{"l\x00t4", &pb.CommandResult{MessageId: "m4", TimestampUnixMicro: 8, Meta: []byte("x"), ChatId: "g@g.us"}}
	a5 := txnAnswer{"l\x00t5", &pb.CommandResult{MessageId: "m5", TimestampUnixMicro: 9, ExpiresUnixMicro: 9 + 86400e6}}
	a6 := txnAnswer{"l\x00t6", &pb.CommandResult{MessageId: "m6", TimestampUnixMicro: 10, Meta: []byte("y"), ChatId: "c", ExpiresUnixMicro: 11}}
	evs := writeEvents(t, j, 1, 2)
	for _, a := range []txnAnswer{a1, a2, a3, a4, a5, a6} {
		if err := j.appendTxn(a); err != nil {
			t.Fatal(err)
		}
	}
	j.close()
	// A torn txn record after them.
	f, err := os.OpenFile(filepath.Join(dir, journalName), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	rec := append([]byte{recTxn}, binary.AppendUvarint(nil, 40)...)
	f.Write(append(rec, "l\x00t3"...))
	f.Close()

	j2, pending, _, _ := mustOpenJournal(t, dir)
	same := func(got []txnAnswer, want ...txnAnswer) bool {
		return slices.EqualFunc(got, want, func(a, b txnAnswer) bool {
			return a.key == b.key && proto.Equal(a.res, b.res)
		})
	}
	if !same(j2.txns, a1, a2, a3, a4, a5, a6) || len(pending) != 2 {
		t.Fatalf("reopened: txns %v, %d pending; want %v %v %v %v %v %v and 2", j2.txns, len(pending), a1, a2, a3, a4, a5, a6)
	}
	if err := j2.compact(evs[1:], 1, []txnAnswer{a2, a5}); err != nil {
		t.Fatal(err)
	}
	j2.close()
	j3, pending, acked, _ := mustOpenJournal(t, dir)
	if !same(j3.txns, a2, a5) || !slices.Equal(seqs(pending), []uint64{2}) || acked != 1 {
		t.Fatalf("after a rewrite: txns %v, pending %v, acked %d; want %v %v, [2], 1", j3.txns, seqs(pending), acked, a2, a5)
	}
}

// A data folder from before the v2 journal: its pending events, its
// numbering and its txn log's answers move into a v2 journal, and the old
// files are removed.
func TestJournalUpgrade(t *testing.T) {
	dir := t.TempDir()
	old := &journal{path: filepath.Join(dir, oldJournalName)}
	f, err := os.Create(old.path)
	if err != nil {
		t.Fatal(err)
	}
	old.f = f
	writeEvents(t, old, 1, 3)
	old.appendAck(2)
	old.close()
	txnLog := `"l\x00t1"` + "\t\"m1\"\t7\n" + `"l\x00torn"` + "\t\"m"
	if err := os.WriteFile(filepath.Join(dir, oldTxnLogName), []byte(txnLog), 0o600); err != nil {
		t.Fatal(err)
	}

	j, pending, acked, maxSeq := mustOpenJournal(t, dir)
	if !slices.Equal(seqs(pending), []uint64{3}) || acked != 2 || maxSeq != 3 {
		t.Fatalf("upgraded: pending %v, acked %d, max %d; want [3], 2, 3", seqs(pending), acked, maxSeq)
	}
	if len(j.txns) != 1 || j.txns[0].key != "l\x00t1" || j.txns[0].res.MessageId != "m1" || j.txns[0].res.TimestampUnixMicro != 7 {
		t.Fatalf("upgraded answers %v, want t1 -> m1 at 7", j.txns)
	}
	for _, name := range []string{oldJournalName, oldTxnLogName} {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s still there after the upgrade (%v)", name, err)
		}
	}
}

// A whole txn record whose payload does not decode is skipped: the records
// after it are still read.
func TestJournalUndecodableTxnSkipped(t *testing.T) {
	dir := t.TempDir()
	j, _, _, _ := mustOpenJournal(t, dir)
	if err := j.write(recTxn, []byte{0xff, 0xff}); err != nil {
		t.Fatal(err)
	}
	writeEvents(t, j, 1, 1)
	a := txnAnswer{"l\x00t", &pb.CommandResult{MessageId: "m"}}
	if err := j.appendTxn(a); err != nil {
		t.Fatal(err)
	}
	j.close()
	j2, pending, _, _ := mustOpenJournal(t, dir)
	if !slices.Equal(seqs(pending), []uint64{1}) || len(j2.txns) != 1 || j2.txns[0].key != a.key {
		t.Fatalf("after a bad txn record: pending %v, answers %v; want [1] and %v", seqs(pending), j2.txns, a)
	}
}

// TestQueueCompactsAnswersWithoutAcks: a plugin that answers commands
// and emits no event gets no ack, yet its journal stays bounded: the
// answers' records past compactBytes are compacted to those the cache
// still holds. Before, only an ack compacted, and the log grew without
// end.
func TestQueueCompactsAnswersWithoutAcks(t *testing.T) {
	dir := t.TempDir()
	j, pending, acked, maxSeq := mustOpenJournal(t, dir)
	q := newEventQueue(j, pending, acked, maxSeq, discardLogger())
	var answers []txnAnswer
	q.txns = func() []txnAnswer { return slices.Clone(answers[max(0, len(answers)-10):]) }
	meta := []byte(strings.Repeat("m", MaxMetaBytes))
	n := compactBytes/MaxMetaBytes + compactBytes/MaxMetaBytes/4 // 1.25 × compactBytes
	for i := range n {
		a := txnAnswer{"l\x00t" + strconv.Itoa(i), &pb.CommandResult{MessageId: "m" + strconv.Itoa(i), Meta: meta}}
		answers = append(answers, a)
		q.appendTxn(a)
	}
	q.flush()
	if size := journalSize(t, dir); size > compactBytes {
		t.Fatalf("journal is %d bytes after %d answers and no ack, want at most %d", size, n, compactBytes)
	}
	q.close()
	j, _, _, _ = mustOpenJournal(t, dir)
	defer j.close()
	if got, last := len(j.txns), answers[n-1].key; got == 0 || got >= n || j.txns[got-1].key != last {
		t.Fatalf("%d answers after the rewrite, the last %q; want fewer than %d, the last %q", got, j.txns[max(0, got-1)].key, n, last)
	}
}
