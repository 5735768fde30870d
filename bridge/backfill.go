package bridge

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// Backfill: a chat's past messages, fetched when a login connects and
// delivered to the user as delayed messages (XEP-0203), oldest first.
//
// When a login connects, the gateway asks the plugin (Backfill) for the
// history of each chat it knows of, from the cursor it stored with the
// chat's last history batch, up to the transport's backfill_messages. The
// history comes on the plugin's History stream (pluginhost/history.go);
// each batch is stored with its cursor in one write (store.CommitHistory,
// deduplicated against live events and earlier batches) and only then
// acknowledged, so a restart of either process resumes from the cursor
// and stores nothing twice. A chat whose cursor is done, or which holds
// backfill_messages already, is not asked again at login; a room's MAM
// query that pages past its archive's start asks for more
// (mam_backfill.go), for the archive only.
//
// A plugin sends a chat's history newest batch first (each batch oldest
// first), so the stored messages of a chat are held until its fetch ends
// (the plugin says done, the messages asked for came, or it went quiet),
// then sorted by their network time and delivered on a lane of their own:
// per-chat workers as chat.go's, at most histLanes chats at a time and
// histQueued messages waiting, so history in bulk never delays live
// messages by more than that. Past it, batches are acknowledged late,
// which holds the plugin back (its window), never the Events stream.
// Stored history waits in the outbox like a live event until the server
// confirmed it: a stop of the gateway delivers it at the next start.

const (
	// histFetching bounds the chats whose history is being fetched at
	// once, per transport: it bounds the history held in memory to that
	// many times backfill_messages.
	histFetching = 4
	// histIdle is how long a fetch may go without a batch, while the
	// History stream is read, before it is taken as ended (the plugin
	// sent fewer than asked, and no done).
	histIdle = 5 * time.Second
	// histQueued bounds the history messages handed to the lane and not
	// yet confirmed by the server, across chats: live messages wait
	// behind at most that many. Measured with passerelle-bench -backfill
	// (alternating runs): 128 gave history about 6,500 msgs/s and the
	// live echo's p50 6 times its figure without history; 32 gave 4,500
	// msgs/s and about 2 times.
	histQueued = 32
	// histChunk is the most messages of a chat one lane item carries.
	histChunk = 64
	// histLanes bounds the chats delivering history at once.
	histLanes = 2
	// histProgress is how many stored messages of a chat between two
	// progress lines in the log.
	histProgress = 1000
)

// backfill is a transport's history: what is being fetched, and its
// delivery lane.
type backfill struct {
	t     *transport
	limit int           // backfill_messages; 0: off
	idle  time.Duration // histIdle; tests shorten it
	// scrollIdle is a scroll-back's idle time (mam_backfill.go).
	scrollIdle time.Duration

	lane     chats[[]delivery] // per-chat order of history deliveries
	pool     chan struct{}     // histLanes: chats delivering at once
	queued   chan struct{}     // histQueued: messages handed to the lane
	fetching chan struct{}     // histFetching: chats being fetched
	waiting  chan struct{}     // scrollWaiting: MAM queries waiting for a fetch
	// unconfirmed holds the written flag of each history message handed
	// to the link and not yet confirmed (see confirmed).
	unconfirmed sync.Map

	mu  sync.Mutex
	ctx context.Context // the transport's run; nil before it
	// storing: the History stream's reader is in store, so no batch can
	// come; the fetches' idle timers are stopped meanwhile, or a chat
	// whose batches wait behind another chat's delivery would be taken
	// as quiet and its history split.
	storing bool
	chats   map[chatAddr]*histFetch
	asked   map[chatAddr]bool // asked for in this run of the plugin
	// scrolled: chats a room's scroll-back asked for, in this run of the
	// gateway (mam_backfill.go): their history outside a login's fetch
	// goes to the archive only.
	scrolled map[chatAddr]bool
	logins   map[string]context.CancelFunc // login ID -> its fetch loop
}

// histFetch is one chat's fetch under way.
type histFetch struct {
	want   int // messages asked for; 0: the plugin sent them unasked
	recv   int // events received (stored or duplicates)
	fresh  int // events stored
	logged int // fresh at the last progress line
	total  int64
	stored uint64 // the chat's history stored in all
	held   []delivery
	timer  *time.Timer
	// due is when the idle timer fires while it runs; left, its time
	// left while a batch is being stored (see pauseIdle).
	due     time.Time
	left    time.Duration
	slot    bool // holds one of fetching
	started time.Time
	// archiveOnly: a room's scroll-back (mam_backfill.go); its messages
	// go to the room's archive only, archived by finish.
	archiveOnly bool
	// asking: its Backfill call has not returned; its idle timer waits
	// for that (else a slow call's history would come after its end,
	// taken for unasked).
	asking bool
	ended  chan struct{} // closed once finish handed over what came
}

func newBackfill(t *transport, limit int) *backfill {
	b := &backfill{t: t, limit: limit, idle: histIdle, scrollIdle: scrollIdle,
		pool: make(chan struct{}, histLanes), queued: make(chan struct{}, histQueued), fetching: make(chan struct{}, histFetching), waiting: make(chan struct{}, scrollWaiting),
		chats: map[chatAddr]*histFetch{}, asked: map[chatAddr]bool{}, scrolled: map[chatAddr]bool{}, logins: map[string]context.CancelFunc{}}
	b.lane.handle = b.deliverChunk
	return b
}

func (b *backfill) runCtx() context.Context {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctx == nil {
		return context.Background()
	}
	return b.ctx
}

// on reports whether backfill is wanted and the plugin can do it.
func (b *backfill) on() bool {
	return b != nil && b.limit > 0 && b.t.host.Caps().GetFeatures().GetBackfill()
}

// resume starts the lane with the transport's run and takes the stored
// history that a stop left undelivered out of the outbox's backlog: it
// goes on the history lane, in each chat's order. It returns the rest.
func (b *backfill) resume(ctx context.Context, backlog []delivery) []delivery {
	b.mu.Lock()
	b.ctx = ctx
	b.mu.Unlock()
	b.lane.ctx = ctx
	live := backlog[:0:0]
	byChat := map[chatAddr][]delivery{}
	var order []chatAddr
	for _, d := range backlog {
		if !d.ev.IsBackfill {
			live = append(live, d)
			continue
		}
		k := chatAddr{d.ev.LoginId, d.ev.ChatId}
		if byChat[k] == nil {
			order = append(order, k)
		}
		byChat[k] = append(byChat[k], d)
	}
	if len(order) > 0 {
		b.t.log.Info("delivering stored history a stop left undelivered", "chats", len(order), "messages", len(backlog)-len(live))
		// All of it waits from now: the outbox depth says so, also of
		// the chats whose turn comes after others'.
		b.t.metrics.Queued(len(backlog) - len(live))
		b.t.goBg(func() {
			for _, k := range order {
				b.deliverCounted(ctx, k, byChat[k])
			}
		})
	}
	return live
}

// restarted runs for each new plugin process: its History seqs start
// over, and the fetches of the one before ended with it. What they stored
// is delivered; the next connect asks again from the stored cursors.
func (b *backfill) restarted() {
	if b == nil {
		return
	}
	b.t.db.HistoryRestarted(b.t.name)
	b.mu.Lock()
	for _, cancel := range b.logins {
		cancel()
	}
	fs := b.chats
	b.chats, b.asked, b.logins = map[chatAddr]*histFetch{}, map[chatAddr]bool{}, map[string]context.CancelFunc{}
	b.mu.Unlock()
	ctx := b.runCtx()
	for k, f := range fs {
		f.timer.Stop()
		if f.slot {
			<-b.fetching
		}
		b.t.goBg(func() { b.deliver(ctx, k, f.held) }) // archive-only ones are marked so
		close(f.ended)
	}
}

// start fetches the history of a login's chats, once it connected and its
// contacts are synced: the chats of ChatList (a group's history goes to
// its room's archive) when the plugin has groups, its contacts, and the chats a
// fetch left unfinished. It returns at once.
func (b *backfill) start(s *session) {
	if !b.on() || !s.features().GetBackfill() {
		return
	}
	loginID := s.LoginID()
	ctx, cancel := context.WithCancel(b.runCtx())
	b.mu.Lock()
	if old := b.logins[loginID]; old != nil {
		old()
	}
	b.logins[loginID] = cancel
	b.mu.Unlock()
	b.t.goBg(func() {
		chats := b.chatsOf(ctx, loginID)
		b.fetch(ctx, loginID, chats)
	})
}

// appeared fetches the history of a chat that appears while the login
// runs (a new contact, a new chat). It returns at once.
func (b *backfill) appeared(ev *pb.Event) {
	if !b.on() {
		return
	}
	var chat string
	switch p := ev.Payload.(type) {
	case *pb.Event_Contact:
		chat = p.Contact.GetContact().GetUserId()
	case *pb.Event_Chat:
		chat = p.Chat.GetChat().GetChatId() // a group's history fills its room's archive
	}
	if chat == "" || ev.LoginId == "" {
		return
	}
	if s := b.t.sessionOf(ev.LoginId); s != nil && !s.features().GetBackfill() {
		return // a login without history (login_features.go)
	}
	b.mu.Lock()
	asked := b.asked[chatAddr{ev.LoginId, chat}]
	b.mu.Unlock()
	if !asked {
		b.t.goBg(func() { b.fetch(b.runCtx(), ev.LoginId, []string{chat}) })
	}
}

// chatsOf lists the chats of a login to fetch the history of.
func (b *backfill) chatsOf(ctx context.Context, loginID string) []string {
	t := b.t
	seen := map[string]bool{}
	var out []string
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if t.host.Caps().GetFeatures().GetGroups() {
		if client, err := t.client(ctx); err == nil {
			cctx, cancel := context.WithTimeout(ctx, callTimeout)
			res, err := client.ChatList(cctx, &pb.LoginRef{LoginId: loginID})
			cancel()
			if stopping(ctx, err) {
				t.log.Debug("chat list for backfill left for the next sync: stopping", "login", loginID)
			} else if err != nil {
				t.log.Warn("chat list for backfill failed; the contacts' chats are fetched", "login", loginID, "err", err)
			}
			for _, c := range res.GetChats() { // newest activity first
				add(c.ChatId) // a group's history fills its room's archive
			}
		}
	}
	if ps, err := t.db.ListPuppets(t.name, loginID); err != nil {
		t.log.Error("reading puppets for backfill failed", "login", loginID, "err", err)
	} else {
		for _, p := range ps {
			add(p.UserID)
		}
	}
	if cs, err := t.db.ListCursors(t.name, loginID); err != nil {
		t.log.Error("reading backfill cursors failed", "login", loginID, "err", err)
	} else {
		for _, c := range cs {
			if !c.Done {
				add(c.ChatID)
			}
		}
	}
	return out
}

// fetch asks the plugin for each chat's history, histFetching chats at a
// time, from each chat's stored cursor.
func (b *backfill) fetch(ctx context.Context, loginID string, chats []string) {
	t := b.t
	for _, chat := range chats {
		key := chatAddr{loginID, chat}
		cur, err := t.db.GetCursor(t.name, loginID, chat)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.log.Error("reading a backfill cursor failed; chat skipped", "login", loginID, "chat", chat, "err", err)
			continue
		}
		if cur.Done || cur.Stored >= uint64(b.limit) {
			continue // all of it, or all that was wanted, is stored
		}
		want := b.limit - int(cur.Stored)
		select {
		case b.fetching <- struct{}{}:
		case <-ctx.Done():
			return
		}
		b.mu.Lock()
		if b.asked[key] || b.chats[key] != nil || ctx.Err() != nil {
			b.mu.Unlock()
			<-b.fetching
			continue
		}
		b.asked[key] = true
		f := b.beginLocked(key, want, cur.Stored, true)
		b.mu.Unlock()
		client, err := t.client(ctx)
		if err == nil {
			cctx, cancel := context.WithTimeout(ctx, callTimeout)
			_, err = client.Backfill(cctx, &pb.BackfillRequest{LoginId: loginID, ChatId: chat, Cursor: cur.Cursor, Limit: int32(want)})
			cancel()
		}
		if err != nil {
			if ctx.Err() == nil {
				t.log.Warn("backfill request failed", "login", loginID, "chat", chat, "err", err)
			}
			b.finish(key, f, "refused")
			// Not asked after all: the chat's next fetch (the login's
			// after its sync, when the plugin was not ready) asks again.
			b.mu.Lock()
			if b.chats[key] == nil {
				delete(b.asked, key)
			}
			b.mu.Unlock()
			continue
		}
		t.log.Debug("backfill requested", "login", loginID, "chat", chat, "cursor", cur.Cursor, "limit", want, "stored", cur.Stored)
	}
}

// beginLocked registers a fetch of key, of want messages (0: unasked)
// with stored ones stored before; slot: it holds one of fetching. Its
// idle timer runs unless a batch is being handled (see storing).
func (b *backfill) beginLocked(key chatAddr, want int, stored uint64, slot bool) *histFetch {
	f := &histFetch{want: want, slot: slot, started: time.Now(), stored: stored, ended: make(chan struct{})}
	f.timer = b.t.afterBg(b.idle, func() { b.finish(key, f, "quiet") })
	f.due = f.started.Add(b.idle)
	if b.storing {
		f.timer.Stop() // started again once store returns
		f.left = b.idle
	}
	b.chats[key] = f
	return f
}

// finish ends a chat's fetch f (unless another replaced it) and delivers
// what it stored.
func (b *backfill) finish(key chatAddr, f *histFetch, why string) {
	b.mu.Lock()
	if b.chats[key] != f {
		b.mu.Unlock()
		return
	}
	delete(b.chats, key)
	b.mu.Unlock()
	f.timer.Stop()
	if f.slot {
		<-b.fetching
	}
	if f.recv > 0 {
		took := time.Since(f.started)
		b.t.log.Info("history fetched", "login", key.a, "chat", key.b, "ended", why, "messages", f.fresh,
			"stored", f.stored, "total", f.total, "took", took.Round(time.Millisecond),
			"per_second", int(float64(f.fresh)/max(took.Seconds(), 1e-3)))
	}
	if f.archiveOnly {
		b.archiveHistory(b.runCtx(), f.held) // mam_backfill.go
	} else {
		b.deliver(b.runCtx(), key, f.held)
	}
	close(f.ended)
}

// store is the plugin host's OnHistory: it stores a batch and its cursor,
// then holds its new messages for delivery; it returns once the batch is
// stored, so that the host acknowledges it, and waits first while the
// lane is full.
func (b *backfill) store(ctx context.Context, hb *pb.HistoryBatch) error {
	t := b.t
	b.pauseIdle()
	defer b.resumeIdle(chatAddr{hb.LoginId, hb.ChatId})
	if t.sessionOf(hb.LoginId) == nil {
		// Acknowledged, not stored: nobody has the login (any more).
		t.log.Debug("history of a login no user has; dropped", "login", hb.LoginId, "chat", hb.ChatId)
		return nil
	}
	// A room's scroll-back: for its archive only, marked so in the
	// outbox too (mam_backfill.go).
	b.mu.Lock()
	toArchive := b.scrollingLocked(chatAddr{hb.LoginId, hb.ChatId})
	b.mu.Unlock()
	var in []store.InboundEvent
	var evs []*pb.Event
	var xids, inflight []string
	var tm timers // the disappearing messages' (expiry.go)
	now := time.Now()
	t.inflightMu.Lock()
	for _, ev := range hb.Events {
		if ephemeral(ev) {
			continue // worth nothing late
		}
		ev.IsBackfill = true
		t.fitEvent(ev) // netinput.go
		if r := ev.GetRetraction(); r != nil {
			r.Expired = false // the host's own mark (pluginEvents)
		}
		if toArchive {
			markArchiveOnly(ev)
		}
		if ev.LoginId == "" {
			ev.LoginId = hb.LoginId
		}
		if ev.ChatId == "" {
			ev.ChatId = hb.ChatId
		}
		xid := t.eventXID(ev)
		ie := store.InboundEvent{Seq: hb.Seq, LoginID: ev.LoginId, ChatID: ev.ChatId, DedupID: ev.EventId}
		if ev.EventId != "" {
			k := ev.LoginId + "\x00" + ev.ChatId + "\x00" + ev.EventId
			if t.inflight[k] > 0 {
				continue // the live copy is being stored and delivered
			}
			// A live copy arriving meanwhile is a duplicate (storeEvents).
			t.inflight[k]++
			inflight = append(inflight, k)
		}
		if _, ok := ev.Payload.(*pb.Event_Message); ok && ev.EventId != "" {
			ie.Ref = t.netRef(ev, xid)
		}
		var err error
		if ie.Payload, err = encodeOutbox(xid, ev); err != nil {
			t.log.Error("a history event could not be encoded; it is stored as seen but not delivered", "login", ev.LoginId, "chat", ev.ChatId, "err", err)
			ie.Delivered = true
		}
		in = append(in, ie)
		evs = append(evs, ev)
		xids = append(xids, xid)
	}
	t.inflightMu.Unlock()
	var res store.HistoryResult
	var invalid error
	err := t.storeRetry(ctx, "storing history", func() (err error) {
		res, err = t.db.CommitHistory(context.WithoutCancel(ctx), t.name, store.HistoryBatch{
			LoginID: hb.LoginId, ChatID: hb.ChatId, Seq: hb.Seq, Cursor: hb.Cursor, Done: hb.Done, Events: in})
		if errors.Is(err, store.ErrInvalid) {
			invalid, err = err, nil // not worth a retry
		}
		return err
	})
	t.inflightMu.Lock()
	for _, k := range inflight {
		if t.inflight[k]--; t.inflight[k] <= 0 {
			delete(t.inflight, k)
		}
	}
	t.inflightMu.Unlock()
	if err != nil {
		return err // not acknowledged: the plugin sends it again
	}
	if invalid != nil {
		// Acknowledged, so that the plugin does not send it forever.
		t.log.Error("history batch refused by the store; dropped", "login", hb.LoginId, "chat", hb.ChatId, "seq", hb.Seq, "err", invalid)
		return nil
	}
	// Before the acknowledgement; a batch replayed after a crash puts
	// them again, even those run out since (a duplicate's first copy's
	// may be lost).
	for i, ev := range evs {
		tm.add(ev, xids[i], now, res.Replayed || i >= len(res.Fresh) || !res.Fresh[i])
	}
	if err := t.putTimers(ctx, tm); err != nil {
		return err
	}
	if res.Replayed {
		return nil
	}
	var ds []delivery
	for i, fresh := range res.Fresh {
		if fresh && res.Keys[i] != 0 {
			ds = append(ds, delivery{key: res.Keys[i], idx: -1, xid: xids[i], ev: evs[i]})
		}
	}
	t.metrics.HistoryStored(len(ds))

	key := chatAddr{hb.LoginId, hb.ChatId}
	var early []delivery // handed over before the fetch ends
	if toArchive {
		// A scroll-back's: archived now, below, so that a query that
		// stops waiting still finds what came.
		early, ds = ds, nil
	}
	b.mu.Lock()
	f := b.chats[key]
	if f == nil { // sent unasked (a network that pushes its history)
		f = b.beginLocked(key, 0, 0, false)
	}
	f.held = append(f.held, ds...)
	f.recv += len(hb.Events)
	f.fresh += len(ds) + len(early)
	f.total, f.stored = hb.Total, res.Cursor.Stored
	if f.fresh-f.logged >= histProgress {
		f.logged = f.fresh
		t.log.Info("history progress", "login", key.a, "chat", key.b, "messages", f.fresh, "want", f.want, "total", f.total)
	}
	ended := hb.Done || (f.want > 0 && f.recv >= f.want)
	if !ended && !toArchive {
		if f.want == 0 && len(f.held) >= max(b.limit, histQueued) {
			// Unasked and long: deliver what came so far.
			early, f.held = f.held, nil
		}
	}
	b.mu.Unlock()
	if toArchive {
		b.archiveHistory(ctx, early) // mam_backfill.go
		early = nil
	}
	switch {
	case ended:
		why := "done"
		if !hb.Done {
			why = "limit"
		}
		b.finish(key, f, why)
	case early != nil:
		b.deliver(ctx, key, early)
	}
	return nil
}

// pauseIdle stops the fetches' idle timers while a batch is handled,
// keeping each one's time left.
func (b *backfill) pauseIdle() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.storing = true
	now := time.Now()
	for _, f := range b.chats {
		f.timer.Stop()
		if !f.asking {
			f.left = max(0, f.due.Sub(now))
		}
	}
}

// resumeIdle starts them again: the batch's own chat (own) from zero,
// the others with the time they had left, the time the History stream
// was not read not counted. Another chat's batch does not reset them:
// a plugin sending one chat empty batches forever kept every fetch
// open, the fetch slots taken and held history undelivered.
func (b *backfill) resumeIdle(own chatAddr) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.storing = false
	for key, f := range b.chats {
		if f.asking {
			continue
		}
		d := f.left
		if key == own {
			d = b.idleOf(f)
		}
		b.armLocked(f, d)
	}
}

// armLocked (re)starts f's idle timer to fire in d.
func (b *backfill) armLocked(f *histFetch, d time.Duration) {
	f.timer.Reset(d)
	f.due = time.Now().Add(d)
}

// deliver hands a chat's stored history to its lane in network time
// order, waiting for room in the lane: the caller (the History stream's
// reader) waits with it, and the plugin's window holds the plugin back.
// Once ctx ends it stops: what it did not hand over stays in the outbox
// for the next start.
func (b *backfill) deliver(ctx context.Context, key chatAddr, ds []delivery) {
	b.t.metrics.Queued(len(ds))
	b.deliverCounted(ctx, key, ds)
}

// deliverCounted is deliver of history the outbox depth counts already:
// from its start, not as each chunk enters the lane (the gauge read 0
// between two chunks while thousands waited).
func (b *backfill) deliverCounted(ctx context.Context, key chatAddr, ds []delivery) {
	slices.SortStableFunc(ds, func(x, y delivery) int {
		return cmp.Compare(x.ev.TimestampUnixMicro, y.ev.TimestampUnixMicro)
	})
	for len(ds) > 0 {
		select {
		case b.queued <- struct{}{}:
		case <-ctx.Done():
			b.t.metrics.Queued(-len(ds)) // not handed over: the next start's
			return
		}
		n := 1
	more:
		for n < len(ds) && n < histChunk {
			select {
			case b.queued <- struct{}{}:
				n++
			default:
				break more
			}
		}
		b.lane.push(key, ds[:n:n])
		ds = ds[n:]
	}
}

// deliverChunk is the lane's handler: it writes a chunk of a chat's
// history, histLanes chats at a time. A message's room in the lane is
// given back once the server confirmed it (confirmed), not once it is
// queued on the link: the link's queue is live messages' too, and would
// otherwise hold thousands of history stanzas ahead of them.
func (b *backfill) deliverChunk(ctx context.Context, ds []delivery) {
	slowly(ctx, b.pool, func() {
		for _, d := range ds {
			d.written = new(atomic.Bool)
			b.unconfirmed.Store(d.written, struct{}{})
			if ctx.Err() == nil {
				b.t.deliverNow(ctx, d)
			}
			if d.written.Load() || ctx.Err() != nil {
				b.confirmed(d) // nothing to write, or confirmed already
			}
		}
	})
}

// confirmed gives back a history message's room in the lane once the
// server confirmed it (or it needed no stanza); once per message.
func (b *backfill) confirmed(d delivery) {
	if b == nil || d.written == nil || !d.ev.IsBackfill {
		return
	}
	if _, ok := b.unconfirmed.LoadAndDelete(d.written); ok {
		<-b.queued
	}
}
