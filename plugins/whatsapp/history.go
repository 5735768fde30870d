package whatsapp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// History. WhatsApp pushes it: after pairing, the phone sends the recent
// chats' messages in history sync blobs (events.HistorySync), and later
// older ones. Each blob is converted at once (messages older than the
// configured age dropped), written to a spool file in the login's folder
// and fsynced before the handler returns (whatsmeow then acknowledges the
// blob, which WhatsApp never sends again); a pusher sends the spool's
// chats to the host through the SDK's history stream, one batch per chat,
// each marked done, and removes a spool file once all its batches are
// queued. A restart resends what is left: the host drops events it has
// stored already (by event ID), so nothing arrives twice. Backfill, the
// host asking, has nothing to fetch (WhatsApp has no history on demand
// for linked devices worth the name yet): it answers done.

const historyDirName = "history"

// historyState is the spool of one login.
type historyState struct {
	dir string // "" = no spool (no login folder)

	mu      sync.Mutex
	seq     int
	pushing bool
	again   bool
}

func newHistoryState(loginDir string) *historyState {
	if loginDir == "" {
		return &historyState{}
	}
	return &historyState{dir: filepath.Join(loginDir, historyDirName)}
}

// historyBatches converts a history sync blob into one batch per chat,
// each oldest first, without what is older than cutoff.
func (s *Session) historyBatches(data *waHistorySync.HistorySync, cutoff time.Time) []*pb.HistoryBatch {
	var out []*pb.HistoryBatch
	for _, conv := range data.GetConversations() {
		chat, err := types.ParseJID(conv.GetID())
		if err != nil || chat.Server == types.BroadcastServer || chat == types.StatusBroadcastJID {
			continue
		}
		var evs []*pb.Event
		for _, hm := range conv.GetMessages() {
			web := hm.GetMessage()
			if web == nil {
				continue
			}
			evt, err := s.d.cli.ParseWebMessage(chat, web)
			if err != nil || evt.Info.Timestamp.Before(cutoff) {
				continue
			}
			if !evt.Info.SenderAlt.IsEmpty() {
				s.ids.learn(evt.Info.Sender.ToNonAD(), evt.Info.SenderAlt.ToNonAD())
			}
			if ev := s.conv.message(evt); ev != nil {
				evs = append(evs, ev)
			}
		}
		if len(evs) == 0 {
			continue
		}
		slices.SortStableFunc(evs, func(a, b *pb.Event) int {
			switch {
			case a.TimestampUnixMicro < b.TimestampUnixMicro:
				return -1
			case a.TimestampUnixMicro > b.TimestampUnixMicro:
				return 1
			}
			return 0
		})
		out = append(out, &pb.HistoryBatch{
			LoginId: s.login.LoginID, ChatId: chatIDOf(s.ids, chat), ChatType: chatTypeOf(chat),
			Events: evs, Cursor: fmt.Sprintf("wa:%d:%s", evs[0].TimestampUnixMicro, evs[0].EventId),
			Done: true, Total: int64(len(evs)),
		})
	}
	return out
}

// historySync spools a blob and wakes the pusher.
func (s *Session) historySync(e *events.HistorySync) {
	if s.n.historyDays() == 0 || s.hist.dir == "" || e.Data == nil {
		return
	}
	switch e.Data.GetSyncType() {
	case waHistorySync.HistorySync_INITIAL_BOOTSTRAP, waHistorySync.HistorySync_RECENT,
		waHistorySync.HistorySync_FULL, waHistorySync.HistorySync_ON_DEMAND:
	default:
		return // push names, settings, status: nothing to show
	}
	batches := s.historyBatches(e.Data, s.n.historyCutoff(time.Now()))
	if len(batches) == 0 {
		return
	}
	if err := s.hist.spool(batches); err != nil {
		// Not spooled: sent from memory, lost if the plugin dies first.
		s.log.Error("history not spooled; sending it unspooled", "err", err)
		go s.sendBatches(context.Background(), batches, 0, len(batches))
		return
	}
	s.pushHistory()
}

// spool writes batches to a new spool file, fsynced, atomically.
func (h *historyState) spool(batches []*pb.HistoryBatch) error {
	if err := os.MkdirAll(h.dir, 0o700); err != nil {
		return err
	}
	h.mu.Lock()
	h.seq++
	name := fmt.Sprintf("%020d-%06d.hist", time.Now().UnixNano(), h.seq)
	h.mu.Unlock()
	var buf []byte
	for _, b := range batches {
		m, err := proto.Marshal(b)
		if err != nil {
			return err
		}
		buf = binary.AppendUvarint(buf, uint64(len(m)))
		buf = append(buf, m...)
	}
	path := filepath.Join(h.dir, name)
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(buf)
	err = errors.Join(err, f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(path+".tmp", path)
	}
	if err == nil {
		err = syncDir(h.dir)
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// files lists the spool files, oldest first.
func (h *historyState) files() []string {
	ents, err := os.ReadDir(h.dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".hist") {
			out = append(out, filepath.Join(h.dir, e.Name()))
		}
	}
	slices.Sort(out)
	return out
}

// readSpool reads a spool file's batches; a damaged file gives what it
// holds before the damage, and an error.
func readSpool(path string) ([]*pb.HistoryBatch, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*pb.HistoryBatch
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return out, fmt.Errorf("%s: damaged after %d batches: %w", path, len(out), io.ErrUnexpectedEOF)
		}
		var hb pb.HistoryBatch
		if err := proto.Unmarshal(b[k:k+int(n)], &hb); err != nil {
			return out, fmt.Errorf("%s: batch %d: %w", path, len(out)+1, err)
		}
		out = append(out, &hb)
		b = b[k+int(n):]
	}
	return out, nil
}

// pushHistory sends the spool to the host from a goroutine, once at a
// time; a call while it runs makes it look again when done.
func (s *Session) pushHistory() {
	s.hist.mu.Lock()
	if s.hist.pushing {
		s.hist.again = true
		s.hist.mu.Unlock()
		return
	}
	s.hist.pushing = true
	s.hist.mu.Unlock()
	s.mu.Lock()
	stop := s.stop
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	go func() {
		defer cancel()
		for {
			s.pushSpool(ctx)
			s.hist.mu.Lock()
			if !s.hist.again || ctx.Err() != nil {
				s.hist.pushing = false
				s.hist.mu.Unlock()
				return
			}
			s.hist.again = false
			s.hist.mu.Unlock()
		}
	}()
}

// pushSpool sends every spool file's batches, with progress by chat.
func (s *Session) pushSpool(ctx context.Context) {
	files := s.hist.files()
	type file struct {
		path    string
		batches []*pb.HistoryBatch
	}
	var all []file
	total := 0
	for _, p := range files {
		bs, err := readSpool(p)
		if err != nil {
			s.log.Error("history spool damaged; its readable part is sent", "err", err)
		}
		all = append(all, file{p, bs})
		total += len(bs)
	}
	done := 0
	for _, f := range all {
		if !s.sendBatches(ctx, f.batches, done, total) {
			return
		}
		done += len(f.batches)
		if err := os.Remove(f.path); err != nil {
			s.log.Warn("history spool file not removed; it is sent again at the next start (the gateway drops the repeats)", "err", err)
		}
	}
}

// progressEvery is how many chats between two progress events.
const progressEvery = 10

// sendBatches queues batches for the host, reporting progress as
// "history: done of total chats"; false when ctx ended first.
func (s *Session) sendBatches(ctx context.Context, batches []*pb.HistoryBatch, done, total int) bool {
	for _, b := range batches {
		if err := s.n.host.SendHistory(ctx, b); err != nil {
			if !errors.Is(err, context.Canceled) {
				s.log.Warn("history not sent; it is sent again at the next start", "err", err)
			}
			return false
		}
		done++
		if done%progressEvery == 0 || done == total {
			s.emit(&pb.Event{Payload: &pb.Event_Progress{Progress: &pb.ProgressEvent{
				Task: "history", Unit: "chats", Done: int64(done), Total: int64(total),
				Text: fmt.Sprintf("history: %d of %d chats", done, total),
			}}})
		}
	}
	return true
}

// Backfill answers that there is nothing to fetch on demand: WhatsApp's
// history comes pushed (see above).
func (s *Session) Backfill(_ context.Context, req sdk.BackfillRequest) error {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cursor := req.Cursor
		if cursor == "" {
			cursor = "wa:none"
		}
		typ := pb.ChatType_CHAT_TYPE_DIRECT
		if jid, err := parseChatID(req.ChatID); err == nil {
			typ = chatTypeOf(jid)
		}
		if err := s.n.host.SendHistory(ctx, &pb.HistoryBatch{LoginId: s.login.LoginID, ChatId: req.ChatID, ChatType: typ, Cursor: cursor, Done: true}); err != nil {
			s.log.Debug("backfill answer not sent", "chat", req.ChatID, "err", err)
		}
	}()
	return nil
}
