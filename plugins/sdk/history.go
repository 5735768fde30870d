package sdk

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// HistoryWindow is how many history batches may wait for the host's
// acknowledgement; SendHistory blocks past it. History in bulk thus costs
// a bounded amount of memory and goes at the host's pace, on a stream of
// its own: live events never wait behind it.
const HistoryWindow = 8

// History batches are not journalled: one the host did not acknowledge
// before the plugin died is asked for again, from the cursor the host
// stored with the last batch it has; a plugin whose network pushes its
// history unasked keeps it itself until SendHistoryWait says it is
// stored. Their seq must still grow across restarts, since the host
// drops a batch whose seq it has acknowledged: the data folder keeps a
// reservation of seqs (historySeqName), renewed every historySeqBlock
// batches.
const (
	historySeqName  = "passerelle-history.seq"
	historySeqBlock = 1 << 12
)

// errHistoryClosed ends SendHistory and the History stream when the
// plugin shuts down.
var errHistoryClosed = errors.New("sdk: plugin shutting down")

// historyQueue holds the batches the host has not acknowledged, in seq
// order, and feeds them to the current History stream.
type historyQueue struct {
	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every change
	pending  []*pb.HistoryBatch
	nextSeq  uint64
	reserved uint64 // seqs below this are reserved in the data folder
	acked    uint64
	gen      uint64
	closed   bool
	dir      string // "" = no reservation file (seqs from the clock)
}

// newHistoryQueue starts after every seq reserved before, in dir.
func newHistoryQueue(dir string) (*historyQueue, error) {
	q := &historyQueue{changed: make(chan struct{}), dir: dir}
	if dir == "" {
		// No folder to remember seqs in: the clock grows across
		// restarts (microseconds; far more than batches per second).
		q.nextSeq = uint64(time.Now().UnixMicro())
		q.reserved = ^uint64(0)
		return q, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, historySeqName))
	switch {
	case errors.Is(err, os.ErrNotExist):
		q.nextSeq = 1
	case err != nil:
		return nil, fmt.Errorf("sdk: read history seq: %w", err)
	case len(b) != 8:
		return nil, fmt.Errorf("sdk: history seq file %s is damaged (%d bytes)", historySeqName, len(b))
	default:
		q.nextSeq = binary.BigEndian.Uint64(b)
	}
	q.acked = q.nextSeq - 1
	q.reserved = q.nextSeq
	return q, nil
}

// reserveLocked makes seqs up to nextSeq+historySeqBlock safe to use:
// written and fsynced before any of them leaves the process.
func (q *historyQueue) reserveLocked() error {
	if q.nextSeq < q.reserved {
		return nil
	}
	next := q.nextSeq + historySeqBlock
	path := filepath.Join(q.dir, historySeqName)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("sdk: reserve history seqs: %w", err)
	}
	_, err = f.Write(binary.BigEndian.AppendUint64(nil, next))
	err = errors.Join(err, f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = SyncDir(path)
	}
	if err != nil {
		return fmt.Errorf("sdk: reserve history seqs: %w", err)
	}
	q.reserved = next
	return nil
}

func (q *historyQueue) notifyLocked() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// send queues b once the window has room, or fails when ctx ends first.
func (q *historyQueue) send(ctx context.Context, b *pb.HistoryBatch) error {
	for _, ev := range b.Events {
		if ev.LoginId == "" {
			ev.LoginId = b.LoginId
		}
		if ev.ChatId == "" {
			ev.ChatId = b.ChatId
		}
		if ev.ChatType == pb.ChatType_CHAT_TYPE_DIRECT {
			ev.ChatType = b.ChatType
		}
		ev.IsBackfill = true
	}
	// The gateway would refuse it, whole or an event of it, and
	// acknowledge it: the plugin would never hear.
	if err := checkBatch(b); err != nil {
		return err
	}
	// Queued, it would break the History stream at every try. Checked
	// as it goes on the wire: filled in above, with its seq (at most 11
	// bytes) to come.
	if n := proto.Size(b) + 1 + binary.MaxVarintLen64; n > MaxMessageBytes {
		return fmt.Errorf("%w: a history batch of %d bytes, over the %d of a message: send fewer events a batch", errTooLarge, n, MaxMessageBytes)
	}
	q.mu.Lock()
	for !q.closed && len(q.pending) >= HistoryWindow {
		ch := q.changed
		q.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("sdk: waiting for room in the history window: %w", ctx.Err())
		}
		q.mu.Lock()
	}
	defer q.mu.Unlock()
	if q.closed {
		return errHistoryClosed
	}
	if err := q.reserveLocked(); err != nil {
		return err
	}
	b.Seq = q.nextSeq
	q.nextSeq++
	q.pending = append(q.pending, b)
	q.notifyLocked()
	return nil
}

// stored waits until the host acknowledged every batch up to seq: it
// stored them (or dropped them for good, as it does the history of a
// login it no longer has). The host acknowledges in seq order, once a
// batch is durably stored.
func (q *historyQueue) stored(ctx context.Context, seq uint64) error {
	q.mu.Lock()
	for q.acked < seq && !q.closed {
		ch := q.changed
		q.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("sdk: waiting for the host to store history batch %d: %w", seq, ctx.Err())
		}
		q.mu.Lock()
	}
	defer q.mu.Unlock()
	if q.acked < seq {
		return errHistoryClosed
	}
	return nil
}

func (q *historyQueue) ack(upTo uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if upTo <= q.acked {
		return
	}
	q.acked = min(upTo, q.nextSeq-1)
	i := 0
	for i < len(q.pending) && q.pending[i].Seq <= q.acked {
		i++
	}
	q.pending = q.pending[i:]
	q.notifyLocked()
}

func (q *historyQueue) newStream() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.gen++
	q.notifyLocked()
	return q.gen
}

// stream sends every unacknowledged batch, then new ones as they come,
// until ctx ends, send fails or a newer stream starts.
func (q *historyQueue) stream(ctx context.Context, gen uint64, send func(*pb.HistoryBatch) error) error {
	var cursor uint64 // the last seq sent on this stream
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return errHistoryClosed
		}
		if q.gen != gen {
			q.mu.Unlock()
			return errStreamReplaced
		}
		var next *pb.HistoryBatch
		for _, b := range q.pending {
			if b.Seq > cursor {
				next = b
				break
			}
		}
		ch := q.changed
		q.mu.Unlock()
		if next == nil {
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := send(next); err != nil {
			return err
		}
		cursor = next.Seq
	}
}

func (q *historyQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.notifyLocked()
}

// History serves the History stream: unacknowledged batches first, then
// new ones; acknowledgements come back on it.
func (s *server) History(stream pb.Transport_HistoryServer) error {
	s.mu.Lock()
	q := s.hq
	s.mu.Unlock()
	if q == nil {
		return status.Error(codes.FailedPrecondition, "History before Init")
	}
	gen := q.newStream()
	go func() {
		for {
			ack, err := stream.Recv()
			if err != nil {
				return
			}
			q.ack(ack.UpToSeq)
		}
	}()
	err := q.stream(stream.Context(), gen, stream.Send)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
