package whatsapp

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
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
// and fsynced before the handler returns; a pusher sends the spool's
// chats to the host through the SDK's history stream, one batch per chat,
// and removes a spool file once the host has stored all its batches
// (sdk.SendHistoryWait): WhatsApp sends a blob once, and the SDK keeps
// history in memory only, so a file removed once its batches were only
// queued lost them when the plugin died before the host stored them. A
// restart resends what is left: the host drops events it has stored
// already (by event ID), so nothing arrives twice. A pushed batch is not
// done: its cursor names its oldest message, from which the host's
// Backfill asks the phone for older ones (ondemand.go).

const historyDirName = "history"

// historyState is the spool of one login.
type historyState struct {
	dir string // "" = no spool (no login folder)

	mu      sync.Mutex
	seq     int
	pushing bool
	again   bool
	// pulling, pullAgain: the same for the notices' downloads
	// (historynotice.go).
	pulling   bool
	pullAgain bool

	oldest oldestKnown // per chat, the oldest message seen (ondemand.go)
	od     onDemand    // the history-on-demand request in flight
	run    syncRun     // the sync under way, its progress (historyprogress.go)
}

func newHistoryState(loginDir string, log *slog.Logger, lost *lostParts) *historyState {
	if lost == nil {
		lost = newLostParts(loginDir, log)
	}
	h := &historyState{oldest: oldestKnown{path: oldestPath(loginDir), log: log}}
	h.run.unreadPath = unreadPath(loginDir)
	h.run.unread, h.run.untold, h.run.told = loadUnread(h.run.unreadPath, log, lost) // historyunread.go
	if loginDir != "" {
		h.dir = filepath.Join(loginDir, historyDirName)
	}
	return h
}

// historyBatches converts a history sync blob into one batch per chat,
// each oldest first, without what is older than cutoff, with each chat's
// oldest message, to note once the batches are kept (spooled or stored),
// and the messages it could not read.
func (s *Session) historyBatches(data *waHistorySync.HistorySync, cutoff time.Time) ([]*pb.HistoryBatch, map[string]anchor, []types.MessageID) {
	var out []*pb.HistoryBatch
	var unreadable []types.MessageID
	seen := map[string]anchor{}
	more := map[string]lostPart{}
	defer func() { s.moreOnPhone(more) }() // one write for the blob
	for _, conv := range data.GetConversations() {
		chat, err := types.ParseJID(conv.GetID())
		if err != nil || chat.Server == types.BroadcastServer || isChannel(chat) {
			// Statuses are not shown; a channel's past posts come from
			// WhatsApp's servers instead (channelhistory.go).
			continue
		}
		// The chat's disappearing-messages timer, as the phone has it.
		s.noteTimer(chatIDOf(s.ids, chat), conv.GetEphemeralExpiration(), conv.GetEphemeralSettingTimestamp())
		r := s.historyEvents(chat, conv, cutoff, anchor{})
		unreadable = append(unreadable, r.unreadable...)
		chatID := chatIDOf(s.ids, chat)
		if r.end.moreOnPhone() {
			k, p := morePart(chatID) // historyend.go
			more[k] = p
		}
		if r.oldest.zero() {
			continue
		}
		r.oldest.Start = r.end.final()
		if r.oldest.olderThan(seen[chatID]) {
			seen[chatID] = r.oldest
		}
		if len(r.evs) == 0 {
			continue
		}
		out = append(out, &pb.HistoryBatch{
			LoginId: s.login.LoginID, ChatId: chatID, ChatType: chatTypeOf(chat),
			Events: r.evs, Cursor: r.oldest.cursor(), Total: int64(len(r.evs)), Done: r.end.final(),
		})
	}
	return out, seen, unreadable
}

// historyMessages is a conversation of a history sync blob, converted.
type historyMessages struct {
	evs []*pb.Event // oldest first
	// oldest: the oldest message kept, read or not: the page's cursor,
	// where history on demand asks from next (an unreadable message's
	// ID and time are known all the same).
	oldest anchor
	raw    int  // messages of the page (before the anchor asked from), read or not
	cut    bool // some were older than the cutoff
	// unreadable: the messages whatsmeow could not parse, left out
	// (told to the user, notices.go).
	unreadable []types.MessageID
	// end is what the phone said of the chat's end (historyend.go).
	end chatEnd
}

// historyEvents converts a conversation's messages: those older than
// cutoff dropped, and with before set, those not before it (a page of
// history on demand holds only older ones).
func (s *Session) historyEvents(chat types.JID, conv *waHistorySync.Conversation, cutoff time.Time, before anchor) historyMessages {
	r := historyMessages{end: endOf(conv)}
	timer := chatTimer{Secs: conv.GetEphemeralExpiration(), At: conv.GetEphemeralSettingTimestamp()}
	hd := s.historyHDCopies(chat, conv) // hdcopy.go
	for _, hm := range oldestFirst(conv.GetMessages()) {
		web := hm.GetMessage()
		if web == nil {
			continue
		}
		// Every message of the page counts and moves the cursor, read or
		// not: a page of unreadable messages only was taken for the
		// chat's start, and the next page asked from after them told
		// them again.
		at := time.Unix(int64(web.GetMessageTimestamp()), 0)
		a := anchor{Chat: chat.ToNonAD().String(), ID: web.GetKey().GetID(), FromMe: web.GetKey().GetFromMe(), TimeMS: at.UnixMilli()}
		inPage := before.zero() || a.ID != before.ID && a.TimeMS <= before.TimeMS
		old := at.Before(cutoff)
		if inPage {
			r.raw++
			r.cut = r.cut || old
			if !old && a.olderThan(r.oldest) {
				r.oldest = a
			}
		}
		evt, err := s.d.cli.ParseWebMessage(chat, web)
		if err != nil {
			// Told unless its time says it would not be shown anyway.
			if inPage && (web.GetMessageTimestamp() == 0 || !old) {
				s.log.Warn("a message of history not read; left out", "chat", chat, "id", a.ID, "err", err)
				r.unreadable = append(r.unreadable, types.MessageID(a.ID))
			}
			continue
		}
		if !unwrap(evt) {
			continue
		}
		s.albumReply(evt) // album.go: taken oldest first, an album's announcement before its items
		if !inPage || old {
			continue
		}
		if !evt.Info.SenderAlt.IsEmpty() {
			s.ids.learn(evt.Info.Sender.ToNonAD(), evt.Info.SenderAlt.ToNonAD())
		}
		ended := endLiveLocation(evt, web) // liveended.go
		if ev := s.conv.message(evt); ev != nil {
			if ended {
				liveEnded(ev.GetMessage())
			}
			if id, ok := s.historyGroupTimerID(ev.ChatId, chat, evt); ok {
				ev.EventId = id
			}
			s.callLogged(ev, &evt.Info, evt.Message) // a call shown live: its ID
			// History mostly carries no push name (names.go).
			s.nameSender(ev, &evt.Info)
			s.notePin(ev.ChatId, evt) // a pin's notice: which messages are pinned now
			if m := ev.GetMessage(); m != nil {
				s.withHDCopy(m, evt, hd[evt.Info.ID])
				// With the conversation's timer for one that says none.
				// One past its deadline says it too: the host drops it.
				m.ExpiresUnixMicro = expiresAt(evt, timer)
			}
			if p := firstPoll(evt.Message); p != nil && ev.GetMessage() != nil {
				s.historyPoll(evt, web, p, ev.GetMessage()) // historypoll.go
			}
			r.evs = append(r.evs, ev)
			if ev.GetMessage() != nil {
				r.evs = append(r.evs, s.historyReactions(chat, web, &evt.Info)...)
			}
		}
	}
	slices.SortStableFunc(r.evs, func(a, b *pb.Event) int {
		switch {
		case a.TimestampUnixMicro < b.TimestampUnixMicro:
			return -1
		case a.TimestampUnixMicro > b.TimestampUnixMicro:
			return 1
		}
		return 0
	})
	return r
}

// oldestFirst is a conversation's messages oldest first: by time, and
// within the same second (an album's photos, sent at once) by their
// order number (msgOrderID, rising with each message) or else the
// reverse of the blob's order, which lists them newest first. By time
// alone, the stable sort kept the blob's order: an album came last
// photo first.
func oldestFirst(msgs []*waHistorySync.HistorySyncMsg) []*waHistorySync.HistorySyncMsg {
	type item struct {
		m   *waHistorySync.HistorySyncMsg
		pos int
	}
	items := make([]item, len(msgs))
	for i, m := range msgs {
		items[i] = item{m, i}
	}
	slices.SortFunc(items, func(a, b item) int {
		if c := cmp.Compare(a.m.GetMessage().GetMessageTimestamp(), b.m.GetMessage().GetMessageTimestamp()); c != 0 {
			return c
		}
		if a.m.MsgOrderID != nil && b.m.MsgOrderID != nil && a.m.GetMsgOrderID() != b.m.GetMsgOrderID() {
			return cmp.Compare(a.m.GetMsgOrderID(), b.m.GetMsgOrderID())
		}
		return cmp.Compare(b.pos, a.pos)
	})
	out := make([]*waHistorySync.HistorySyncMsg, len(items))
	for i, it := range items {
		out[i] = it.m
	}
	return out
}

// historyReactions is the reactions a history message carries (WhatsApp
// keeps them with it, each person's last, not as messages of their
// own) as reaction events after it: who reacted is the reaction's key,
// the user's own (fromMe), a group member (participant), else the
// contact of a one-to-one chat.
func (s *Session) historyReactions(chat types.JID, web *waWeb.WebMessageInfo, target *types.MessageInfo) []*pb.Event {
	var out []*pb.Event
	for _, r := range web.GetReactions() {
		key := r.GetKey()
		if r.GetText() == "" {
			continue // taken back
		}
		info := types.MessageInfo{
			MessageSource: types.MessageSource{Chat: chat, IsFromMe: key.GetFromMe(), IsGroup: chat.Server == types.GroupServer, Sender: chat},
			ID:            key.GetID(),
			// Not before the message: the host stores a batch in order.
			Timestamp: target.Timestamp,
		}
		if at := time.UnixMilli(r.GetSenderTimestampMS()); at.After(info.Timestamp) {
			info.Timestamp = at
		}
		switch {
		case key.GetFromMe():
			info.Sender = s.ownJID()
		case key.GetParticipant() != "":
			p, err := types.ParseJID(key.GetParticipant())
			if err != nil {
				continue
			}
			info.Sender = p.ToNonAD()
		case info.IsGroup:
			continue // a member's reaction that names nobody
		}
		// Under the reaction message's ID (its key's), as live: one seen
		// live, or in an earlier blob, is dropped by the gateway, where
		// an older one delivered again put the old emoji back.
		ev := s.conv.base(&info)
		ev.Payload = &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: target.ID, Emojis: []string{r.GetText()}}}
		out = append(out, ev)
	}
	return out
}

// historyIDs learns the phone numbers of the LIDs a blob names: its
// list of them, and its conversations' (a chat by LID with its number
// beside). whatsmeow stores the list too, but off its event loop, maybe
// after this handler converted the blob: its chats by LID would come as
// "lid-" contacts, then moved.
func (s *Session) historyIDs(data *waHistorySync.HistorySync) {
	pair := func(lid, pn string) {
		l, err1 := types.ParseJID(lid)
		p, err2 := types.ParseJID(pn)
		if err1 != nil || err2 != nil {
			return
		}
		if p.Server == types.LegacyUserServer {
			p.Server = types.DefaultUserServer
		}
		s.ids.learn(l, p)
	}
	for _, m := range data.GetPhoneNumberToLidMappings() {
		pair(m.GetLidJID(), m.GetPnJID())
	}
	for _, c := range data.GetConversations() {
		if c.GetLidJID() != "" && c.GetPnJID() != "" {
			pair(c.GetLidJID(), c.GetPnJID())
		}
	}
}

// historySync spools a blob and wakes the pusher.
func (s *Session) historySync(e *events.HistorySync) {
	s.historyIDs(e.Data)
	if e.Data.GetSyncType() == waHistorySync.HistorySync_ON_DEMAND {
		// The answer to a Backfill waiting for it; what is left (an
		// answer come too late) is history like the rest.
		if e = (&events.HistorySync{Data: s.onDemandAnswer(e.Data)}); e.Data == nil {
			return
		}
	}
	if e.Data.GetSyncType() == waHistorySync.HistorySync_PUSH_NAME {
		s.pushNamesLearnt(e.Data.GetPushnames()) // names.go
		return
	}
	if s.n.historyDays() == 0 || s.hist.dir == "" || e.Data == nil {
		return
	}
	inRun := false
	switch e.Data.GetSyncType() {
	case waHistorySync.HistorySync_INITIAL_BOOTSTRAP, waHistorySync.HistorySync_RECENT,
		waHistorySync.HistorySync_FULL:
		s.syncBlob(e.Data) // one progress for the whole sync (historyprogress.go)
		inRun = true
	case waHistorySync.HistorySync_ON_DEMAND:
	default:
		return // push names, settings, status: nothing to show
	}
	batches, oldest, unreadable := s.historyBatches(e.Data, s.n.historyCutoff(time.Now()))
	if inRun {
		s.syncUnreadable(unreadable) // told once, at the sync's end (historyprogress.go)
	} else {
		// An answer come too late: its notice not taken is kept, told
		// at this push's end or the sync's (notices.go).
		s.historyUnreadable(unreadable)
	}
	if len(batches) == 0 {
		s.noteOldest(oldest)
		s.syncComplete(e.Data)
		s.pushHistory() // the last blob may hold nothing new: its end is told
		return
	}
	if err := s.hist.spool(batches); err != nil {
		// Not spooled: sent from memory, lost if the plugin dies first;
		// its chats' oldest messages are noted once it is stored, so
		// that history on demand does not ask from before it.
		s.log.Error("history not spooled; sending it unspooled", "err", err)
		s.syncComplete(e.Data) // the end told by the next push
		go func() {
			if s.sendBatches(context.Background(), batches, 0, len(batches)) {
				s.noteOldest(oldest)
			}
		}()
		return
	}
	s.noteOldest(oldest)   // kept in the spool until the host stored it
	s.syncComplete(e.Data) // once spooled: the push's end tells it
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
	return writeSynced(filepath.Join(h.dir, name), buf, h.dir)
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
	s.hist.runOnce(s, &s.hist.pushing, &s.hist.again, s.pushSpool)
}

// runOnce runs work from a goroutine, one run at a time: a call while it
// runs has it run again when done. running and again are the caller's
// flags, guarded by h.mu; the run's context ends with the session.
func (h *historyState) runOnce(s *Session, running, again *bool, work func(context.Context)) {
	h.mu.Lock()
	if *running {
		*again = true
		h.mu.Unlock()
		return
	}
	*running = true
	h.mu.Unlock()
	ctx, cancel := s.untilStop()
	go func() {
		defer cancel()
		for {
			work(ctx)
			h.mu.Lock()
			if !*again || ctx.Err() != nil {
				*running = false
				h.mu.Unlock()
				return
			}
			*again = false
			h.mu.Unlock()
		}
	}()
}

// untilStop is a context that ends at cancel or with the session
// (Disconnect closes s.stop), for work of the session's own goroutines.
func (s *Session) untilStop() (context.Context, context.CancelFunc) {
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
	return ctx, cancel
}

// pushSpool sends every spool file's batches, with progress by chat.
func (s *Session) pushSpool(ctx context.Context) {
	files := s.hist.files()
	type file struct {
		path    string
		batches []*pb.HistoryBatch
		damaged bool
	}
	var all []file
	total := 0
	for _, p := range files {
		bs, err := readSpool(p)
		if err != nil {
			s.log.Error("history spool damaged; its readable part is sent", "file", p, "err", err)
		}
		all = append(all, file{p, bs, err != nil})
		total += len(bs)
	}
	done := 0
	for _, f := range all {
		if !s.sendBatches(ctx, f.batches, done, total) {
			return
		}
		done += len(f.batches)
		if f.damaged {
			// Noted before it is set aside (historylost.go): told at
			// the sync's end, or below.
			if err := s.historyPartLost(spoolKeyPrefix+filepath.Base(f.path), lostPart{Damaged: true}); err != nil {
				s.log.Warn("damaged history spool file kept; its readable part is sent again, and it is told, at the next start", "file", f.path, "err", err)
				continue
			}
			// Kept for a look, under a name the spool does not read
			// again.
			if to, err := sdk.SetAside(f.path); err != nil {
				s.log.Warn("damaged history spool file not set aside; its readable part is sent again at the next start", "err", err)
			} else {
				s.log.Warn("damaged history spool file set aside", "file", f.path, "set_aside_as", to)
			}
			continue
		}
		if err := os.Remove(f.path); err != nil {
			s.log.Warn("history spool file not removed; it is sent again at the next start (the gateway drops the repeats)", "err", err)
		}
	}
	if ctx.Err() == nil {
		s.syncEnd() // historyprogress.go
	}
}

// progressEvery is how many chats between two progress events.
const progressEvery = 10

// sendBatches sends batches to the host and returns once it stored
// them all, reporting progress (historyStored); false
// when ctx ended first or the host could not be reached. The batches go
// queued one after the other, the wait is for the last: the host stores
// them in order.
func (s *Session) sendBatches(ctx context.Context, batches []*pb.HistoryBatch, done, total int) bool {
	for i, b := range batches {
		var err error
		if i == len(batches)-1 {
			err = sdk.SendHistoryWait(ctx, s.n.host, b)
		} else {
			err = s.n.host.SendHistory(ctx, b)
		}
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				s.log.Warn("history not stored; it is sent again at the next start", "err", err)
			}
			return false
		}
		done++
		s.historyStored(b.ChatId, done, total)
	}
	return true
}
