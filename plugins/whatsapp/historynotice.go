package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/sdk"
)

// History sync notices. WhatsApp tells a linked device of a history sync
// blob with a notice (a protocol message from the user's phone) naming
// the blob on its media servers. whatsmeow, left to itself, sends the
// notice's receipt at once and downloads the blob afterwards from a
// goroutine of its own: a plugin that died in between lost that sync,
// which the phone sends once. So the plugin downloads it itself
// (whatsmeow's ManualHistorySyncDownload, set in NewWhatsmeowClient):
// the notice is written to the login's history folder before the
// handler returns, the blob downloaded (whatsmeow's DownloadHistorySync,
// which also stores the push names, message secrets and LID map it
// holds) and spooled (history.go), and only then the notice removed. A
// notice left by a plugin that died is downloaded at the next
// connection. The notice's receipt still goes when whatsmeow decrypts
// it, before the handler runs: a plugin killed in those milliseconds,
// before the notice is on disk, still loses it.

// noticeSuffix names a notice's file in the history folder.
const noticeSuffix = ".notice"

// historyNotice keeps a history sync notice on disk, then has it
// downloaded off WhatsApp's event loop.
func (s *Session) historyNotice(id types.MessageID, n *waE2E.HistorySyncNotification) {
	if s.hist.dir == "" {
		// No login folder to keep it in (not a real login): downloaded
		// from memory.
		go s.downloadOnce(id, n)
		return
	}
	if err := s.hist.keepNotice(id, n); err != nil {
		s.log.Error("history sync notice not kept; downloaded all the same", "id", id, "err", err)
		go s.downloadOnce(id, n)
		return
	}
	s.pullHistory()
}

// keepNotice writes a notice to a new file of the history folder,
// fsynced, atomically.
func (h *historyState) keepNotice(id types.MessageID, n *waE2E.HistorySyncNotification) error {
	b, err := proto.Marshal(n)
	if err != nil {
		return fmt.Errorf("marshal the notice: %w", err)
	}
	if err := os.MkdirAll(h.dir, 0o700); err != nil {
		return err
	}
	h.mu.Lock()
	h.seq++
	// Time first: the notices are downloaded in the order they came.
	name := fmt.Sprintf("%020d-%06d-%s%s", time.Now().UnixNano(), h.seq, safeName(string(id)), noticeSuffix)
	h.mu.Unlock()
	return writeSynced(filepath.Join(h.dir, name), b, h.dir)
}

// safeName keeps a message ID's letters and digits for a file name.
func safeName(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, id)
}

// writeSynced writes data to path through a temporary file, fsynced,
// renamed, and its folder fsynced.
func writeSynced(path string, data []byte, dir string) error {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	err = errors.Join(err, f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(path+".tmp", path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	return err
}

// notices lists the notices kept, oldest first.
func (h *historyState) notices() []string {
	ents, err := os.ReadDir(h.dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), noticeSuffix) {
			out = append(out, filepath.Join(h.dir, e.Name()))
		}
	}
	slices.Sort(out)
	return out
}

// pullHistory downloads the notices kept, one after the other, from a
// goroutine, once at a time; a call while it runs makes it look again
// when done. A notice whose download fails for want of WhatsApp (not
// connected, the network) stays for the next connection.
func (s *Session) pullHistory() {
	s.hist.runOnce(s, &s.hist.pulling, &s.hist.pullAgain, s.pullNotices)
}

// pullNotices downloads each notice kept and removes it once its blob
// is spooled; it stops at the first that WhatsApp's absence fails. A
// notice whose blob cannot be had is noted lost (historylost.go) before
// its file goes; those noted are told at the sync's end, or here when
// no sync is under way.
func (s *Session) pullNotices(ctx context.Context) {
	defer func() {
		if ctx.Err() == nil && !s.syncActive() {
			s.tellLost()
		}
	}()
	for _, path := range s.hist.notices() {
		b, err := os.ReadFile(path)
		var n waE2E.HistorySyncNotification
		if err == nil {
			err = proto.Unmarshal(b, &n)
		}
		if err != nil {
			s.log.Error("history sync notice unreadable; not downloaded", "file", path, "err", err)
			if lerr := s.historyPartLost(noticeKey(path), lostPart{Why: "its notice was damaged on disk"}); lerr != nil {
				// Neither noted nor told: left to be read again.
				s.log.Warn("damaged history sync notice kept; told at the next start", "file", path, "err", lerr)
				continue
			}
			// Set aside, under a name not read again.
			to, rerr := sdk.SetAside(path)
			if rerr != nil {
				os.Remove(path)
			}
			s.log.Warn("damaged history sync notice set aside", "file", path, "set_aside_as", to, "err", rerr)
			continue
		}
		if err := s.downloadNotice(ctx, &n); err != nil {
			if s.retryable(ctx, err) {
				s.log.Info("history sync not downloaded; tried again at the next connection", "err", err)
				return
			}
			// Gone from WhatsApp's servers, or damaged: never had.
			if lerr := s.historyPartLost(noticeKey(path), lostPart{Why: err.Error()}); lerr != nil {
				s.log.Warn("history sync notice whose blob is lost kept; tried and told at the next start", "file", path, "err", lerr)
				continue
			}
		}
		if err := os.Remove(path); err != nil {
			s.log.Warn("history sync notice not removed; downloaded again at the next start (the gateway drops the repeats)", "err", err)
		}
	}
}

// downloadNotice downloads a notice's blob and handles it as history
// (spooled before it returns); a blob that cannot be had is logged.
func (s *Session) downloadNotice(ctx context.Context, n *waE2E.HistorySyncNotification) error {
	data, err := s.d.cli.DownloadHistorySync(ctx, n, true)
	if err != nil {
		s.log.Warn("history sync download", "type", n.GetSyncType(), "chunk", n.GetChunkOrder(), "err", err)
		return err
	}
	s.historySync(&events.HistorySync{Data: data})
	return nil
}

// downloadOnce downloads a notice's blob kept in memory alone: a
// failure is not tried again, and is told.
func (s *Session) downloadOnce(id types.MessageID, n *waE2E.HistorySyncNotification) {
	if err := s.downloadNotice(context.Background(), n); err != nil {
		s.historyLost(safeName(string(id)), err)
	}
}

// noticeKey names the notice kept at path in a notice to the user: its
// message's ID (safeName's, as downloadOnce names it), the same at each
// try of that notice and when WhatsApp delivers it again (another file,
// keepNotice's time before the ID).
func noticeKey(path string) string {
	name := strings.TrimSuffix(filepath.Base(path), noticeSuffix)
	return name[strings.LastIndexByte(name, '-')+1:]
}

// retryable says whether a download failed for want of WhatsApp (worth
// trying again later) rather than for the blob (gone, damaged).
func (s *Session) retryable(ctx context.Context, err error) bool {
	var ne net.Error
	// A media server's 5xx or 429 (whatsmeow's own tries spent) is theirs
	// for now, not the blob's: a 403, 404 or 410 says it is gone.
	var he whatsmeow.DownloadHTTPError
	return ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, whatsmeow.ErrNotConnected) || errors.Is(err, whatsmeow.ErrIQTimedOut) ||
		errors.As(err, &ne) || !s.d.cli.IsConnected() ||
		errors.As(err, &he) && he.Response != nil && (he.StatusCode >= 500 || he.StatusCode == http.StatusTooManyRequests)
}
