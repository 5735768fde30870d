package sdk

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The journal keeps unacknowledged events in the plugin's data folder, so
// a plugin killed before the host stored an event replays it on restart.
// It is an append-only log of event and ack records written without fsync:
// a process crash keeps what the kernel has, which is the failure the
// journal is for; a machine crash is the network's to redeliver.
const (
	recEvent byte = 'E'
	recAck   byte = 'A'

	journalName = "passerelle-events.journal"
	// compactBytes is the size past which the log is rewritten with only
	// the unacknowledged events (once they are less than half of it).
	compactBytes = 8 << 20
)

type journal struct {
	path string
	f    *os.File
	size int64  // bytes in the file and in pend
	pend []byte // records not yet written (see flush)
}

// openJournal reads the journal in dir and returns the events not yet
// acknowledged (in seq order), the highest acknowledged seq and the
// highest seq ever written.
func openJournal(dir string) (j *journal, pending []*pb.Event, acked, maxSeq uint64, err error) {
	path := filepath.Join(dir, journalName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("sdk: open event journal: %w", err)
	}
	byseq := map[uint64]*pb.Event{}
	r := bufio.NewReader(f)
	var good int64
	for {
		kind, payload, n, rerr := readRecord(r)
		if rerr != nil {
			// A torn last record (killed mid-write) is cut off; what
			// came before it is intact.
			break
		}
		switch kind {
		case recEvent:
			ev := &pb.Event{}
			if uerr := proto.Unmarshal(payload, ev); uerr != nil {
				break
			}
			byseq[ev.Seq] = ev
			maxSeq = max(maxSeq, ev.Seq)
		case recAck:
			seq, _ := binary.Uvarint(payload)
			acked = max(acked, seq)
		}
		good += n
	}
	for seq, ev := range byseq {
		if seq > acked {
			pending = append(pending, ev)
		}
	}
	sortEvents(pending)
	maxSeq = max(maxSeq, acked)
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, nil, 0, 0, fmt.Errorf("sdk: repair event journal: %w", err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, 0, 0, fmt.Errorf("sdk: event journal: %w", err)
	}
	return &journal{path: path, f: f, size: good}, pending, acked, maxSeq, nil
}

func readRecord(r *bufio.Reader) (kind byte, payload []byte, n int64, err error) {
	kind, err = r.ReadByte()
	if err != nil {
		return 0, nil, 0, err
	}
	if kind != recEvent && kind != recAck {
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
// them), so a crash loses only what nobody saw, in one system call for
// several events instead of one each.
func (j *journal) write(kind byte, payload []byte) error {
	n := len(j.pend)
	j.pend = append(j.pend, kind)
	j.pend = binary.AppendUvarint(j.pend, uint64(len(payload)))
	j.pend = append(j.pend, payload...)
	j.size += int64(len(j.pend) - n)
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

// compact rewrites the log with only the pending events, through a rename
// so a crash mid-way leaves the old log whole.
func (j *journal) compact(pending []*pb.Event, acked uint64) error {
	tmp := j.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("sdk: compact event journal: %w", err)
	}
	nj := &journal{path: j.path, f: f}
	werr := nj.appendAck(acked)
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
		werr = os.Rename(tmp, j.path)
	}
	if werr != nil {
		f.Close()
		os.Remove(tmp)
		return werr
	}
	j.f.Close()
	j.f, j.size, j.pend = f, nj.size, nil
	return nil
}

func (j *journal) close() error {
	ferr := j.flush()
	return errors.Join(ferr, j.f.Close())
}
