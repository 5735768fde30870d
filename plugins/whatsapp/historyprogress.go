package whatsapp

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
)

// History sync progress. After pairing, the phone sends its history in
// several blobs, over minutes: an INITIAL_BOOTSTRAP one, RECENT chunks,
// then FULL ones, each RECENT or FULL blob with WhatsApp's percentage of
// that stage (the blob's progress field). Shown blob by blob, each was a
// run of its own and the gateway said "Done" between two while the phone
// was still sending. So the blobs of one sync make one run: its count
// goes on across them, shown without a total (none is known), and it
// ends when WhatsApp says the sync is complete (a FULL blob at 100%), or
// when no blob came for a quiet period (defaultHistoryQuiet), which the
// end says. A blob after the end begins another run. The percentage as
// other clients of the protocol read it (a stage's, RECENT's or FULL's);
// not tried against WhatsApp itself.

// defaultHistoryQuiet is how long without a blob ends a sync WhatsApp
// did not say complete (a phone that sends no FULL stage, or stopped).
const defaultHistoryQuiet = 2 * time.Minute

// historyQuiet is the quiet period that ends a sync: the default, or a
// test's shorter one.
func (n *Network) historyQuiet() time.Duration {
	if n.histQuiet > 0 {
		return n.histQuiet
	}
	return defaultHistoryQuiet
}

// quietText says a quiet period: "2 minutes".
func quietText(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return d.String()
}

// syncRun is the history sync under way, of one session.
type syncRun struct {
	mu     sync.Mutex
	active bool // blobs came, the run has not ended
	stored int  // chats the host stored since the run began
	// chats: those counted in stored, each once: a chat comes in
	// several blobs (the RECENT and FULL stages both hold the recent
	// chats), a blob may come twice. Before, each batch counted.
	chats    map[string]bool
	stage    string // "recent" or "full": the stage of percent
	percent  uint32 // WhatsApp's percentage of the stage
	complete bool   // WhatsApp said the sync is complete
	quiet    bool   // no blob for the quiet period
	timer    *time.Timer
	due      time.Time // when the quiet period armed ends
	// paused: disconnected, the quiet period stopped with left of it
	// to go once connected again (syncDisconnected).
	paused bool
	left   time.Duration
	// unread: the messages of the run's blobs not read, told once at
	// its end (notices.go); out of a run, those the last process
	// counted and did not tell. untold: the notices of messages not
	// read tried and not confirmed, told again under their IDs. Both
	// kept at unreadPath (historyunread.go); telling: one tellUntold
	// at a time.
	unread     unreadTally
	untold     []untoldNotice
	told       []types.MessageID // the latest confirmed (unreadToldKept)
	unreadPath string
	telling    sync.Mutex
}

// syncBlob notes a history blob of the sync (before it is spooled): the
// run begins or goes on, and its quiet period starts over.
func (s *Session) syncBlob(data *waHistorySync.HistorySync) {
	r := &s.hist.run
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.active {
		// unread goes on from what the last process left, if any.
		r.active, r.stored, r.stage, r.percent, r.complete = true, 0, "", 0, false
		r.chats = map[string]bool{}
	}
	r.quiet = false
	if data.Progress != nil {
		switch data.GetSyncType() {
		case waHistorySync.HistorySync_RECENT:
			r.stage, r.percent = "recent", data.GetProgress()
		case waHistorySync.HistorySync_FULL:
			r.stage, r.percent = "full", data.GetProgress()
		}
	}
	s.armQuietLocked()
}

// armQuietLocked starts the run's quiet period over (under r.mu).
func (s *Session) armQuietLocked() {
	s.armQuietForLocked(s.n.historyQuiet())
}

// armQuietForLocked arms the run's quiet period to end in d (under r.mu).
func (s *Session) armQuietForLocked(d time.Duration) {
	r := &s.hist.run
	if r.timer != nil {
		r.timer.Stop()
	}
	r.paused, r.left = false, 0
	r.due = time.Now().Add(d)
	r.timer = time.AfterFunc(d, s.syncQuiet)
}

// quietFloor is the least of the quiet period a reconnection leaves to
// go: 30 s, or a quarter of a shorter period. The blobs WhatsApp kept
// come just after a reconnection; a period nearly run out at the
// disconnection must not end before they can.
func (n *Network) quietFloor() time.Duration {
	return min(30*time.Second, n.historyQuiet()/4)
}

// syncQuiet ends the run's quiet period: its end is told once what it
// sent is stored. Not while disconnected: WhatsApp could send nothing,
// and the rest of the sync comes once connected again (its notices kept
// until then, historynotice.go); the period is then paused with nothing
// left, and a reconnection gives it its floor (syncReconnected). Before,
// a connection down for the quiet period ended the sync, "sent nothing
// more", and the rest came as a second sync, its own "Done".
func (s *Session) syncQuiet() {
	s.mu.Lock()
	stop := s.stop
	s.mu.Unlock()
	select {
	case <-stop:
		return // the session ended: nothing to tell
	default:
	}
	r := &s.hist.run
	if !s.d.cli.IsConnected() {
		r.mu.Lock()
		if r.active && !r.complete && !r.quiet {
			r.paused, r.left = true, 0 // ran out, were it paused already
		}
		r.mu.Unlock()
		return
	}
	r.mu.Lock()
	r.quiet = r.active
	r.mu.Unlock()
	s.pushHistory() // its end tells the run's end
}

// syncDisconnected pauses the quiet period of a run under way: only
// connected time counts, and what is left of it goes on once connected
// again (syncReconnected). Before, a reconnection started it over, so a
// connection that dropped more often than the quiet period never ended
// the sync.
func (s *Session) syncDisconnected() {
	r := &s.hist.run
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.active || r.complete || r.quiet || r.paused {
		return
	}
	if r.timer != nil {
		r.timer.Stop()
	}
	r.paused, r.left = true, max(time.Until(r.due), 0)
}

// syncReconnected goes on with the quiet period a disconnection paused,
// for what was left of it, at least its floor (quietFloor).
func (s *Session) syncReconnected() {
	r := &s.hist.run
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.paused {
		return // not paused: its timer runs
	}
	if !r.active || r.complete || r.quiet {
		r.paused, r.left = false, 0
		return
	}
	s.armQuietForLocked(max(r.left, s.n.quietFloor()))
}

// syncUnreadable counts a blob's messages not read (ids) in the run, to
// tell at its end, each once (a blob delivered twice, a message told in
// a notice tried already); told at once when no run is under way (it
// ended between the blob's syncBlob and here).
func (s *Session) syncUnreadable(ids []types.MessageID) {
	r := &s.hist.run
	r.mu.Lock()
	if r.active {
		n := r.unread.n
		r.unread.add(slices.DeleteFunc(slices.Clone(ids), func(id types.MessageID) bool { return r.untoldWith(id) != "" || r.wasTold(id) }))
		if r.unread.n > n {
			r.saveUnreadLocked(s.log)
		}
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	s.historyUnreadable(ids)
}

// syncComplete notes a blob spooled: WhatsApp says the sync is complete
// with a FULL blob at 100%. The push that follows tells the end.
func (s *Session) syncComplete(data *waHistorySync.HistorySync) {
	if data.GetSyncType() != waHistorySync.HistorySync_FULL || data.GetProgress() < 100 {
		return
	}
	r := &s.hist.run
	r.mu.Lock()
	r.complete = r.active
	r.mu.Unlock()
}

// historyStored counts a chat's batch stored by the host (chatID's) and reports
// progress every progressEvery chats and at the end of what was
// spooled (done == total): within a sync, its running count, without
// a total; outside one (a spool left by the last process), done of
// total.
func (s *Session) historyStored(chatID string, done, total int) {
	r := &s.hist.run
	r.mu.Lock()
	if r.active && !r.chats[chatID] {
		r.chats[chatID] = true
		r.stored++
	}
	active, stored, stage, percent := r.active, r.stored, r.stage, r.percent
	r.mu.Unlock()
	if done%progressEvery != 0 && done != total {
		return
	}
	p := &pb.ProgressEvent{Task: "history", Unit: "chats", Done: int64(done), Total: int64(total),
		Text: fmt.Sprintf("history: %d of %d chats", done, total)}
	if active {
		p.Done, p.Total = int64(stored), 0
		p.Text = fmt.Sprintf("history: %s so far; WhatsApp is still sending", chatCount(stored))
		if stage != "" {
			p.Text += fmt.Sprintf(" (%s history %d%%)", stage, percent)
		}
	}
	s.emit(&pb.Event{Payload: &pb.Event_Progress{Progress: p}})
}

// syncEnd ends the run once WhatsApp said the sync is complete or went
// quiet, and all it sent is stored (the spool is empty): the progress's
// end, done == total. Out of a run, it tells the messages not read that
// the last process counted in a sync it did not see end, and the notices
// of messages not read not confirmed yet.
func (s *Session) syncEnd() {
	if len(s.hist.files()) > 0 {
		return
	}
	if !s.syncActive() {
		s.tellLost() // what the last process noted lost (historylost.go)
	}
	r := &s.hist.run
	r.mu.Lock()
	if !r.active {
		r.freezeUnreadLocked(s.log)
		r.mu.Unlock()
		if err := s.tellUntold(true); err != nil {
			s.log.Warn("the notice of history not read not confirmed; told again later", "err", err)
		}
		return
	}
	if !r.complete && !r.quiet {
		r.mu.Unlock()
		return
	}
	r.active = false
	if r.timer != nil {
		r.timer.Stop()
	}
	text := "history: " + chatCount(r.stored)
	if !r.complete {
		text += "; WhatsApp sent nothing more for " + quietText(s.n.historyQuiet())
	}
	n := max(r.stored, 1) // done == total ends it, even with no chat stored
	r.freezeUnreadLocked(s.log)
	r.mu.Unlock()
	// Before the end: all the sync says comes before it.
	if err := s.tellUntold(true); err != nil {
		s.log.Warn("the notice of history not read not confirmed; told again later", "err", err)
	}
	s.tellLost()
	s.emit(&pb.Event{Payload: &pb.Event_Progress{Progress: &pb.ProgressEvent{
		Task: "history", Unit: "chats", Done: int64(n), Total: int64(n), Text: text,
	}}})
}

// freezeUnreadLocked makes the run's count a notice to tell, kept until
// confirmed (under r.mu): a run begun since counts anew. Before, a
// notice not confirmed put its count back, joined later with a new
// run's under another ID, or, a run begun meanwhile, dropped it.
func (r *syncRun) freezeUnreadLocked(log *slog.Logger) {
	if r.unread.n == 0 {
		return
	}
	r.freezeLocked(r.unread)
	r.unread = unreadTally{}
	r.saveUnreadLocked(log)
}

// syncActive says whether a history sync is under way: what it lost is
// told at its end.
func (s *Session) syncActive() bool {
	r := &s.hist.run
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.active
}

// chatCount is "1 chat", "13 chats".
func chatCount(n int) string {
	if n == 1 {
		return "1 chat"
	}
	return fmt.Sprintf("%d chats", n)
}
