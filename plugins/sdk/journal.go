package sdk

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The journal keeps unacknowledged events in the plugin's data folder, so
// a plugin killed before the host stored an event replays it on restart,
// and the answers to recent txn_ids, so the host's retry of a command the
// killed process had carried out is answered instead of acted on twice.
// It is an append-only log of event, ack and txn records, handed to the
// kernel before anything outside the process hears of them: a process
// crash keeps what the kernel has, which is the failure the journal is
// mostly for. It is fsynced only where a confirmation depends on it
// (EmitDurable: a plugin is about to tell its network it has an event);
// otherwise a machine crash is the network's to redeliver. A compaction
// replaces the file durably: the new file is fsynced before the rename and
// the folder after it.
//
// One file for both means one write per batch of commands: a txn log of
// its own cost a second system call for nearly every command.
const (
	recEvent byte = 'E'
	recAck   byte = 'A'
	recTxn   byte = 'T'

	// journalName has a version: a plugin built with an SDK from before
	// txn records would stop reading at the first one and cut the rest
	// off. It finds no file of its name instead, and loses nothing.
	journalName = "passerelle-events.v2.journal"
	// oldJournalName and oldTxnLogName are the files before v2, read once
	// into a new journal (see upgradeJournal).
	oldJournalName = "passerelle-events.journal"
	oldTxnLogName  = "passerelle-txns.log"

	// compactBytes is the size past which the log is rewritten with only
	// the unacknowledged events and the remembered answers (once the
	// events are less than half of it).
	compactBytes = 8 << 20
)

type journal struct {
	path   string
	f      *os.File
	size   int64  // bytes in the file and in pend
	pend   []byte // records not yet written (see flush)
	synced int64  // bytes of f known to be on disk
	// keptTxns is the size of the answers' records the last compaction
	// kept (0 before one): the next waits until the log is twice that.
	keptTxns int64
	// tail, while a compaction runs (non-nil), collects the records
	// written since its snapshot, to follow the snapshot in the new file.
	tail []byte
	// txns are the answers read at open, oldest first, for the txn cache.
	txns []txnAnswer
	// fsync makes a file or folder durable; a seam for tests (nil: Sync).
	fsync func(*os.File) error
}

// journalState is what a journal file holds.
type journalState struct {
	pending       []*pb.Event // not acknowledged, in seq order
	acked, maxSeq uint64      // highest acknowledged and highest written seq
	txns          []txnAnswer // oldest first
	good          int64       // bytes up to the first torn or bad record
}

// openJournal reads the journal in dir (after upgrading an older one) and
// returns the events not yet acknowledged (in seq order), the highest
// acknowledged seq and the highest seq ever written; the answers it holds
// are in j.txns.
func openJournal(dir string) (j *journal, pending []*pb.Event, acked, maxSeq uint64, err error) {
	if err := upgradeJournal(dir); err != nil {
		return nil, nil, 0, 0, err
	}
	path := filepath.Join(dir, journalName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("sdk: open event journal: %w", err)
	}
	st := readJournal(f)
	if err := f.Truncate(st.good); err != nil {
		f.Close()
		return nil, nil, 0, 0, fmt.Errorf("sdk: repair event journal: %w", err)
	}
	if _, err := f.Seek(st.good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, 0, 0, fmt.Errorf("sdk: event journal: %w", err)
	}
	return &journal{path: path, f: f, size: st.good, txns: st.txns}, st.pending, st.acked, st.maxSeq, nil
}

// readJournal reads records up to the end or to the first torn or bad one
// (a kill mid-write tears only the last; what came before is intact).
func readJournal(f io.Reader) journalState {
	var st journalState
	byseq := map[uint64]*pb.Event{}
	r := bufio.NewReader(f)
	for {
		kind, payload, n, rerr := readRecord(r)
		if rerr != nil {
			break
		}
		switch kind {
		case recEvent:
			ev := &pb.Event{}
			if uerr := proto.Unmarshal(payload, ev); uerr != nil {
				break
			}
			byseq[ev.Seq] = ev
			st.maxSeq = max(st.maxSeq, ev.Seq)
		case recAck:
			seq, _ := binary.Uvarint(payload)
			st.acked = max(st.acked, seq)
		case recTxn:
			if a, ok := decodeTxn(payload); ok {
				st.txns = append(st.txns, a)
			}
		}
		st.good += n
	}
	for seq, ev := range byseq {
		if seq > st.acked {
			st.pending = append(st.pending, ev)
		}
	}
	sortEvents(st.pending)
	st.maxSeq = max(st.maxSeq, st.acked)
	return st
}

// upgradeJournal moves what the files before v2 hold (the old journal's
// pending events and numbering, the old txn log's answers) into a new
// journal, then removes them. A crash before the rename leaves the old
// files to read again; after it, the new journal wins.
func upgradeJournal(dir string) error {
	path := filepath.Join(dir, journalName)
	oldJ, oldT := filepath.Join(dir, oldJournalName), filepath.Join(dir, oldTxnLogName)
	if _, err := os.Stat(path); err == nil {
		return removeOld(oldJ, oldT)
	}
	var st journalState
	found := false
	if f, err := os.Open(oldJ); err == nil {
		st = readJournal(f)
		f.Close()
		found = true
	}
	if txns, ok := readTxnLog(oldT); ok {
		st.txns = txns
		found = true
	}
	if !found {
		return nil
	}
	f, _, err := writeSnapshot(path, st.pending, st.acked, st.txns, nil)
	if err == nil {
		err = install(f, path, nil)
		f.Close()
	}
	if err != nil {
		return fmt.Errorf("sdk: upgrade event journal: %w", err)
	}
	return removeOld(oldJ, oldT)
}

func removeOld(paths ...string) error {
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sdk: remove %s: %w", filepath.Base(p), err)
		}
	}
	return nil
}

func readRecord(r *bufio.Reader) (kind byte, payload []byte, n int64, err error) {
	kind, err = r.ReadByte()
	if err != nil {
		return 0, nil, 0, err
	}
	if kind != recEvent && kind != recAck && kind != recTxn {
		return 0, nil, 0, errors.New("bad record kind")
	}
	l, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, nil, 0, err
	}
	if l > 256<<20 {
		return 0, nil, 0, errors.New("record too large")
	}
	payload = make([]byte, l)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, 0, err
	}
	return kind, payload, 1 + int64(uvarintLen(l)) + int64(l), nil
}

func uvarintLen(x uint64) int {
	var tmp [binary.MaxVarintLen64]byte
	return binary.PutUvarint(tmp[:], x)
}

// write buffers a record; flush hands it to the kernel. Records are
// flushed before anything outside the process can hear of them (the
// events before they are streamed, with the command results that follow
// them; an ack at once, see eventQueue.ack), so a crash loses only what
// nobody saw, in one system call for several events instead of one each.
func (j *journal) write(kind byte, payload []byte) error {
	n := len(j.pend)
	j.pend = append(j.pend, kind)
	j.pend = binary.AppendUvarint(j.pend, uint64(len(payload)))
	j.pend = append(j.pend, payload...)
	j.size += int64(len(j.pend) - n)
	if j.tail != nil {
		j.tail = append(j.tail, j.pend[n:]...)
	}
	return nil
}

// flush writes the buffered records.
func (j *journal) flush() error {
	if len(j.pend) == 0 {
		return nil
	}
	n, err := j.f.Write(j.pend)
	if err != nil {
		// Keep what was not written for the next try; the size already
		// counts it.
		j.pend = j.pend[:copy(j.pend, j.pend[n:])]
		return fmt.Errorf("sdk: write event journal: %w", err)
	}
	if cap(j.pend) > 1<<20 {
		j.pend = nil // do not keep a burst's buffer forever
	} else {
		j.pend = j.pend[:0]
	}
	return nil
}

func (j *journal) appendEvent(ev *pb.Event) error {
	data, err := proto.Marshal(ev)
	if err != nil {
		return fmt.Errorf("sdk: encode event: %w", err)
	}
	return j.write(recEvent, data)
}

// eventRecordSize is the size of ev's record in the journal.
func eventRecordSize(ev *pb.Event) int64 {
	n := uint64(proto.Size(ev))
	return 1 + int64(uvarintLen(n)) + int64(n)
}

func (j *journal) appendAck(seq uint64) error {
	return j.write(recAck, binary.AppendUvarint(nil, seq))
}

// txnRecordsSize is the size of the answers' records in the journal.
func txnRecordsSize(txns []txnAnswer) int64 {
	var n int64
	for _, a := range txns {
		l := len(encodeTxn(a))
		n += 1 + int64(uvarintLen(uint64(l))) + int64(l)
	}
	return n
}

func (j *journal) appendTxn(a txnAnswer) error {
	return j.write(recTxn, encodeTxn(a))
}

// encodeTxn is a txn record's payload: the key and the message ID, each
// length-prefixed, then the timestamp, then the metadata, the chat ID (a
// created or joined chat's), length-prefixed, and the message's expiry
// (a varint), and a partly sent message's error (its code, a uvarint,
// and its text, length-prefixed), each when it or one after it is set:
// records written before metadata end at the timestamp, those before the
// chat ID at the metadata, those before the expiry at the chat ID, those
// before the error at the expiry. A send handled as a command
// (handled_as_command) then has a flag (a uvarint, 1) and the command's
// reply, length-prefixed, after an error of code 0 and no text where it
// had none; records before commands end at the error.
func encodeTxn(a txnAnswer) []byte {
	b := binary.AppendUvarint(nil, uint64(len(a.key)))
	b = append(b, a.key...)
	b = binary.AppendUvarint(b, uint64(len(a.res.MessageId)))
	b = append(b, a.res.MessageId...)
	b = binary.AppendVarint(b, a.res.TimestampUnixMicro)
	command := a.res.HandledAsCommand
	failed := a.res.Error != nil || command
	expires := a.res.ExpiresUnixMicro != 0 || failed
	if len(a.res.Meta) > 0 || a.res.ChatId != "" || expires {
		b = binary.AppendUvarint(b, uint64(len(a.res.Meta)))
		b = append(b, a.res.Meta...)
	}
	if a.res.ChatId != "" || expires {
		b = binary.AppendUvarint(b, uint64(len(a.res.ChatId)))
		b = append(b, a.res.ChatId...)
	}
	if expires {
		b = binary.AppendVarint(b, a.res.ExpiresUnixMicro)
	}
	if failed {
		b = binary.AppendUvarint(b, uint64(a.res.GetError().GetCode()))
		b = binary.AppendUvarint(b, uint64(len(a.res.GetError().GetText())))
		b = append(b, a.res.GetError().GetText()...)
	}
	if command {
		b = binary.AppendUvarint(b, 1)
		b = binary.AppendUvarint(b, uint64(len(a.res.CommandReply)))
		b = append(b, a.res.CommandReply...)
	}
	return b
}

func decodeTxn(b []byte) (txnAnswer, bool) {
	str := func() (string, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return "", false
		}
		v := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return v, true
	}
	key, ok1 := str()
	id, ok2 := str()
	ts, k := binary.Varint(b)
	if !ok1 || !ok2 || k <= 0 {
		return txnAnswer{}, false
	}
	b = b[k:]
	var meta []byte
	if len(b) > 0 {
		m, ok := str()
		if !ok {
			return txnAnswer{}, false
		}
		if m != "" {
			meta = []byte(m)
		}
	}
	var chat string
	if len(b) > 0 {
		c, ok := str()
		if !ok {
			return txnAnswer{}, false
		}
		chat = c
	}
	var expires int64
	if len(b) > 0 {
		e, k := binary.Varint(b)
		if k <= 0 {
			return txnAnswer{}, false
		}
		expires = e
		b = b[k:]
	}
	res := &pb.CommandResult{MessageId: id, TimestampUnixMicro: ts, Meta: meta, ChatId: chat, ExpiresUnixMicro: expires}
	if len(b) > 0 {
		code, k := binary.Uvarint(b)
		if k <= 0 {
			return txnAnswer{}, false
		}
		b = b[k:]
		text, ok := str()
		if !ok {
			return txnAnswer{}, false
		}
		res.Error = &pb.Error{Code: pb.ErrorCode(code), Text: text}
	}
	if len(b) > 0 {
		// A command's: its flag and reply, after the error (of code 0
		// and no text where there was none).
		flag, k := binary.Uvarint(b)
		if k <= 0 || flag != 1 {
			return txnAnswer{}, false
		}
		b = b[k:]
		reply, ok := str()
		if !ok {
			return txnAnswer{}, false
		}
		if res.Error.Code == pb.ErrorCode_ERROR_CODE_UNSPECIFIED && res.Error.Text == "" {
			res.Error = nil
		}
		res.HandledAsCommand, res.CommandReply = true, reply
	}
	if len(b) > 0 {
		return txnAnswer{}, false
	}
	return txnAnswer{key: key, res: res}, true
}

// compact rewrites the log with only the pending events and the answers
// still remembered, in one go (see beginCompact for the queue's way).
func (j *journal) compact(pending []*pb.Event, acked uint64, txns []txnAnswer) error {
	j.beginCompact()
	f, size, err := writeSnapshot(j.path, pending, acked, txns, j.fsync)
	return j.endCompact(f, size, err)
}

// beginCompact starts collecting the records written from now on, which
// the snapshot the caller writes next (writeSnapshot) does not hold.
func (j *journal) beginCompact() { j.tail = make([]byte, 0, 4096) }

// endCompact puts the new file, holding the snapshot and size bytes long,
// in place of the log: the records written since beginCompact are
// appended, the file is fsynced and renamed over the log, and the folder
// fsynced, so a crash at any point leaves either log whole. err is the
// snapshot's; then the log stays as it was.
func (j *journal) endCompact(f *os.File, size int64, err error) error {
	tail := j.tail
	j.tail = nil
	if err == nil && len(tail) > 0 {
		_, err = f.Write(tail)
	}
	if err == nil {
		err = install(f, j.path, j.fsync)
	}
	if err != nil {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
		return fmt.Errorf("sdk: compact event journal: %w", err)
	}
	j.f.Close()
	// What was buffered is in tail, now written.
	j.f, j.size, j.pend = f, size+int64(len(tail)), nil
	j.synced = j.size
	return nil
}

// writeSnapshot writes a journal of the ack, the answers and the events
// to path+".tmp" and fsyncs it; it returns the file open for appending,
// with its size. install puts it in place.
func writeSnapshot(path string, pending []*pb.Event, acked uint64, txns []txnAnswer, fsync func(*os.File) error) (*os.File, int64, error) {
	f, err := os.OpenFile(path+".tmp", os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, 0, err
	}
	nj := &journal{path: path, f: f, fsync: fsync}
	werr := nj.appendAck(acked)
	for _, a := range txns {
		if werr != nil {
			break
		}
		werr = nj.appendTxn(a)
	}
	for _, ev := range pending {
		if werr != nil {
			break
		}
		werr = nj.appendEvent(ev)
	}
	if werr == nil {
		werr = nj.flush()
	}
	if werr == nil {
		werr = syncFile(fsync, f)
	}
	if werr != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, werr
	}
	return f, nj.size, nil
}

// install renames f over path after fsyncing it, then fsyncs the folder:
// the rename is durable, and the file it names holds what it should.
func install(f *os.File, path string, fsync func(*os.File) error) error {
	if err := syncFile(fsync, f); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return syncFile(fsync, d)
}

func syncFile(fsync func(*os.File) error, f *os.File) error {
	if fsync != nil {
		return fsync(f)
	}
	return f.Sync()
}

func (j *journal) close() error {
	ferr := j.flush()
	return errors.Join(ferr, j.f.Close())
}
