package bridge

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/bridge/media"
	"passerelle.im/passerelle/bridge/metrics"
	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
	"passerelle.im/passerelle/internal/stagetrace"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// transport is one network as the gateway runs it: a component link, a
// plugin process and the routing between them.
type transport struct {
	name, domain string
	jids         jidCache
	dataDir      string
	access       config.Access
	maxBody      int
	db           *store.DB
	log          *slog.Logger
	link         *xmpplink.Link
	host         *pluginhost.Host
	metrics      *metrics.Transport // nil: metrics off

	// The chats' workers (chat.go): the stanzas each user sends, and the
	// events the network sends to them.
	in  chats[*wire.Stanza]
	out chats[delivery]
	// Slow work's pools (see slowly): downloads of the users' files, and
	// uploads of the network's files to the users' servers.
	downloads, uploads chan struct{}

	idPrefix string
	ids      atomic.Uint64

	mu       sync.RWMutex
	sessions map[string]*session // user bare JID -> their login's session (session.go)
	byLogin  map[string]*session // login ID -> its session
	perms    perms               // XEP-0356, from the server
	subs     *subLimiter

	// idWindow is how long a plain message id marks a resend (0:
	// defaultIDWindow); tests shorten it.
	idWindow time.Duration

	adhoc   adhocSessions
	sending sending
	// stored signals the remote IDs of sent messages once their
	// results are stored, to receipts waiting for them.
	stored arrivals
	// txnSending holds the txns of commands whose result is not stored
	// yet, by sendKey(login, "", txn): a resend meanwhile is ignored.
	txnSending sending
	recent     recents

	procMu sync.Mutex
	procs  map[string]*loginProc // user bare JID -> login in progress

	uploader    *media.Uploader
	mediaServer *media.Server // nil: the built-in endpoint is off
	mediaMax    int64
	// fetcher downloads users' files: public addresses, the ranges the
	// admin allowed and the upload service's own host only.
	fetcher *http.Client
	// The incoming folder's cap (0: incomingMaxBytes), and the bytes
	// reserved by downloads under way.
	incomingMax      int64
	incomingMu       sync.Mutex
	incomingReserved int64

	doneKeys chan delivery
	commits  chan *commitJob

	unconfirmed *unconfirmed // stored deliveries written, not yet confirmed by the server

	inflightMu sync.Mutex
	inflight   map[string]int              // dedup keys of batches not yet committed
	newRefs    map[string]store.MessageRef // remote ID key -> ref, not yet committed
	newXIDs    map[string]string           // XMPP ID key -> remote ID key, likewise
}

// delivery is a network event on its way to the XMPP user.
type delivery struct {
	key uint64 // outbox key, when known; 0 for an ephemeral event, never stored
	// commit is the store transaction the event is in, still under way
	// when the event is delivered; idx is its place in it (-1: none).
	commit *pendingCommit
	idx    int
	// written is set once the server confirmed the stanza (see
	// unconfirmed); a commit that starts after it keeps no outbox entry
	// for the event.
	written *atomic.Bool
	xid     string // the XMPP id chosen for it when it was stored
	ev      *pb.Event
}

func newTransport(cfg *config.Config, tc config.Transport, db *store.DB, ms *media.Server, log *slog.Logger) *transport {
	t := &transport{
		name:        tc.Name,
		domain:      tc.Domain,
		dataDir:     tc.DataDir,
		mediaServer: ms,
		mediaMax:    cfg.Media.MaxBytes,
		access:      cfg.Access,
		maxBody:     cfg.Limits.MaxBodyBytes,
		db:          db,
		log:         log.With("transport", tc.Name),
		idPrefix:    rand.Text()[:6],
		sessions:    map[string]*session{},
		byLogin:     map[string]*session{},
		procs:       map[string]*loginProc{},
		downloads:   make(chan struct{}, slowWorkers),
		uploads:     make(chan struct{}, slowWorkers),
		doneKeys:    make(chan delivery, 4096),
		commits:     make(chan *commitJob, 256),
		inflight:    map[string]int{},
		newRefs:     map[string]store.MessageRef{},
		newXIDs:     map[string]string{},
	}
	t.in.handle, t.in.max = t.handle, inboundQueue
	t.out.handle = chatDelivery{t: t, now: t.deliverNow}.deliver
	t.subs = &subLimiter{t: t, ch: make(chan []byte, 1024)}
	t.link = xmpplink.New(xmpplink.Config{
		Addr: cfg.XMPP.Server, Domain: tc.Domain, Secret: tc.Secret,
		PingInterval: cfg.XMPP.PingInterval, PingTimeout: cfg.XMPP.PingTimeout, ReconnectMax: cfg.XMPP.ReconnectMax,
		Log: t.log, Handle: t.route, OnUp: t.onLinkUp,
	})
	t.unconfirmed = newUnconfirmed(t.link, t.delivered)
	t.uploader = media.NewUploader(t.link, t.domain, t.serverDomain(), nil)
	if cfg.Media.UploadService != "" {
		t.uploader.SetService(cfg.Media.UploadService)
	}
	t.fetcher = (&media.Guard{Allow: cfg.Media.FetchAllow, Trusted: t.uploader.ServesFrom}).Client()
	t.host = pluginhost.New(pluginhost.Config{
		Name: tc.Name, Path: tc.Plugin, DataDir: tc.DataDir, ConfigJSON: tc.PluginConfig, Domain: tc.Domain,
		Log: log, OnEvents: t.storeEvents, OnReady: t.onPluginReady,
		OnStop: t.pluginStopped,
	})
	return t
}

func (t *transport) run(ctx context.Context) {
	logins, err := t.db.ListLogins(t.name)
	if err != nil {
		t.log.Error("cannot read logins; transport not started", "err", err)
		return
	}
	for _, l := range logins {
		t.setLogin(l)
	}
	backlog, err := t.loadOutbox()
	if err != nil {
		t.log.Error("cannot read the outbox; transport not started", "err", err)
		return
	}
	t.log.Info("transport starting", "domain", t.domain, "logins", len(logins), "undelivered", len(backlog))

	t.in.ctx, t.out.ctx = ctx, ctx
	// What the outbox kept goes first, in each chat's order, before the
	// plugin (started below) sends anything new.
	t.metrics.Queued(len(backlog))
	for _, d := range backlog {
		t.out.push(deliveryAddr(d.ev), d)
	}
	var wg sync.WaitGroup
	wg.Go(func() { t.link.Run(ctx) })
	wg.Go(func() { t.host.Run(ctx) })
	wg.Go(func() { t.resendLoop(ctx) })
	wg.Go(func() { t.outboxDoneLoop(ctx) })
	wg.Go(func() { t.commitLoop(ctx) })
	wg.Go(func() { t.subs.run(ctx) })
	wg.Wait()
	// The chats' workers, and their slow work, end with ctx.
	t.in.wg.Wait()
	t.out.wg.Wait()
}

func bareOf(j string) string {
	for i := 0; i < len(j); i++ {
		if j[i] == '/' {
			return j[:i]
		}
	}
	return j
}

func (t *transport) newID() string {
	return t.idPrefix + strconv.FormatUint(t.ids.Add(1), 36)
}

// send queues a stanza to the server; a stanza for a link that is down is
// dropped with a log line (its sender will retry or already got an error).
func (t *transport) send(ctx context.Context, data []byte) {
	t.metrics.ErrorSent(data)
	if err := t.link.Send(ctx, data, nil); err != nil {
		t.log.Debug("stanza not sent", "err", err)
	}
}

// onPluginReady reconnects every login after each start of the plugin, so
// a plugin crash needs no action from anyone.
func (t *transport) onPluginReady(ctx context.Context, caps *pb.Capabilities) {
	client, err := t.client(ctx)
	if err != nil {
		return
	}
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var connected []*session
	for _, s := range t.allSessions() {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if t.connect(ctx, client, s.Login()) {
				mu.Lock()
				connected = append(connected, s)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// Contact lists and rosters follow in the background, a few at a
	// time: messages need not wait for them.
	go func() {
		sem := make(chan struct{}, 4)
		for _, s := range connected {
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				s.syncContacts(ctx)
			}()
		}
	}()
}

func (t *transport) connect(ctx context.Context, client pb.TransportClient, l store.Login) bool {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := client.Connect(cctx, &pb.ConnectRequest{LoginId: l.LoginID, UserJid: l.UserJID, SavedState: l.SavedState})
	if err != nil {
		if ctx.Err() == nil {
			t.log.Warn("login did not connect", "user", l.UserJID, "login", l.LoginID, "err", err)
		}
		return false
	}
	return true
}

// onLinkUp tells every registered user the gateway is there.
func (t *transport) onLinkUp() {
	for _, s := range t.allSessions() {
		t.send(context.Background(), t.presence(s.user, ""))
	}
}

func (t *transport) presence(to, typ string) []byte {
	var w wire.Writer
	w.Start("presence", "").Attr("from", t.domain).Attr("to", to).Attr("type", typ)
	return w.Bytes()
}

// storeEvents is the plugin host's OnEvents. New events go to delivery at
// once, while their store transaction (dedup keys, message map, outbox)
// commits; the plugin hears they are stored only once it has. A crash in
// between delivers an event again, never loses it: at-least-once, as when
// a crash falls between a write to the server and the outbox cleanup.
//
// An event the store refuses (a NUL byte or an over-long part in an ID) is
// not delivered; the store rejects it alone, with a log line and a count,
// and the batch is acknowledged, so the plugin forgets it instead of
// replaying it forever. A store failure is retried (see storeRetry), never
// answered with an error: that would restart the plugin, which replays the
// same events into the same failure.
func (t *transport) storeEvents(ctx context.Context, evs []*pb.Event) <-chan error {
	res := make(chan error, 1)
	job := &commitJob{res: res, c: &pendingCommit{done: make(chan struct{})}}
	idx := make([]int, len(evs)) // evs[i] is job.in[idx[i]], or -1 when not stored
	xids := make([]string, len(evs))
	for i, ev := range evs {
		xids[i] = t.eventXID(ev)
		idx[i] = -1
		if ephemeral(ev) {
			continue
		}
		// The outbox payload is encoded at commit time, and only for an
		// event the server has not confirmed by then (see unconfirmed.go).
		ie := store.InboundEvent{Seq: ev.Seq, LoginID: ev.LoginId, ChatID: ev.ChatId, DedupID: ev.EventId}
		if _, ok := ev.Payload.(*pb.Event_Message); ok && ev.EventId != "" {
			ie.Ref = &store.MessageRef{Transport: t.name, LoginID: ev.LoginId, ChatID: ev.ChatId, RemoteID: ev.EventId,
				ID: xids[i], FromMe: ev.GetSender().GetIsFromMe(), Time: time.UnixMicro(ev.TimestampUnixMicro)}
			// Live messages are deduplicated by their map entry; history
			// keeps a dedup key, as its entries may be pruned early.
			ie.DedupByRef = !ev.IsBackfill
		}
		idx[i] = len(job.in)
		job.in = append(job.in, ie)
		job.evs = append(job.evs, ev)
		job.xids = append(job.xids, xids[i])
		job.written = append(job.written, new(atomic.Bool))
		// It still goes to the commit, which rejects it alone (and
		// counts it), but nothing else of it happens.
		job.bad = append(job.bad, t.db.CheckEvent(t.name, ie) != nil)
	}
	var seen []bool
	err := t.storeRetry(ctx, "checking events for duplicates", func() (err error) {
		seen, err = t.db.Seen(t.name, job.in)
		return err
	})
	if err != nil {
		res <- err
		return res
	}
	// Duplicates: already committed, or in a batch still committing, or
	// earlier in this one.
	t.inflightMu.Lock()
	dup := make([]bool, len(job.in))
	for j, ie := range job.in {
		if job.bad[j] {
			dup[j] = true // not delivered, not held in flight
			continue
		}
		if ie.DedupID == "" {
			continue
		}
		k := ie.LoginID + "\x00" + ie.ChatID + "\x00" + ie.DedupID
		if seen[j] || t.inflight[k] > 0 {
			dup[j] = true
			continue
		}
		t.inflight[k]++
		job.keys = append(job.keys, k)
		if ie.Ref != nil {
			rk := refKey(ie.LoginID, ie.ChatID, ie.Ref.RemoteID)
			t.newRefs[rk] = *ie.Ref
			job.refs = append(job.refs, rk)
			// The user may answer the message (a receipt, a marker, a
			// reaction) before its commit ends.
			if ie.Ref.ID != "" {
				xk := refKey(ie.LoginID, ie.ChatID, ie.Ref.ID)
				t.newXIDs[xk] = rk
				job.xidKeys = append(job.xidKeys, xk)
			}
		}
	}
	t.inflightMu.Unlock()

	for i, ev := range evs {
		d := delivery{xid: xids[i], ev: ev, idx: idx[i]}
		if j := idx[i]; j >= 0 {
			if job.bad[j] {
				// The store logs it (and why) when it rejects it.
				t.log.Debug("invalid event from the plugin not delivered", "seq", ev.Seq, "login", ev.LoginId, "chat", ev.ChatId, "event_id", ev.EventId)
				continue
			}
			if dup[j] {
				t.log.Debug("duplicate event dropped", "login", ev.LoginId, "chat", ev.ChatId, "event_id", ev.EventId)
				continue
			}
			d.commit, d.written = job.c, job.written[j]
		}
		t.metrics.Queued(1)
		t.out.push(deliveryAddr(ev), d)
	}
	select {
	case t.commits <- job:
	case <-ctx.Done():
		res <- ctx.Err()
	}
	return res
}

func refKey(loginID, chatID, remoteID string) string {
	return loginID + "\x00" + chatID + "\x00" + remoteID
}

// pendingCommit is a batch's store transaction, once done.
type pendingCommit struct {
	done  chan struct{}
	err   error
	fresh []bool
	keys  []uint64
}

// commitJob is one batch of events for commitLoop.
type commitJob struct {
	in      []store.InboundEvent
	evs     []*pb.Event    // parallel to in: the events, for their outbox payload
	xids    []string       // parallel to in: the XMPP IDs they are delivered with
	written []*atomic.Bool // parallel to in
	bad     []bool         // parallel to in: refused by the store, not delivered
	c       *pendingCommit
	res     chan error
	keys    []string // dedup keys it holds in inflight
	refs    []string // its entries in newRefs
	xidKeys []string // and in newXIDs
}

// commitLinger is how long a commit waits for more batches to share its
// fsync. Events are delivered before their commit, so only the plugin's
// acknowledgement waits; at a few messages in flight an fsync per batch
// was a sixth of the gateway's CPU.
const commitLinger = 2 * time.Millisecond

// commitLoop commits the batches in order; batches that queued up during
// a commit or its linger go together in the next one (one fsync).
func (t *transport) commitLoop(ctx context.Context) {
	linger := time.NewTimer(commitLinger)
	linger.Stop()
	for {
		var jobs []*commitJob
		select {
		case j := <-t.commits:
			jobs = append(jobs, j)
		case <-ctx.Done():
			// What was delivered must be stored: commit what is queued.
			select {
			case j := <-t.commits:
				jobs = append(jobs, j)
			default:
				return
			}
		}
		linger.Reset(commitLinger)
	drain:
		for len(jobs) < 64 {
			select {
			case j := <-t.commits:
				jobs = append(jobs, j)
			case <-linger.C:
				break drain
			case <-ctx.Done():
				break drain
			}
		}
		linger.Stop()
		began := time.Now()
		var all []store.InboundEvent
		for _, j := range jobs {
			for k, ie := range j.in {
				// A rejected event needs no outbox payload.
				ie.Delivered = j.written[k].Load() || j.bad[k]
				if !ie.Delivered {
					var err error
					if ie.Payload, err = encodeOutbox(j.xids[k], j.evs[k]); err != nil {
						// Only its outbox entry is lost, not the batch: it
						// was handed to delivery already.
						t.log.Error("an event could not be encoded for the outbox; it is delivered but not kept for a redelivery",
							"seq", ie.Seq, "login", ie.LoginID, "chat", ie.ChatID, "err", err)
						ie.Delivered = true
					}
				}
				all = append(all, ie)
			}
		}
		var fresh []bool
		var keys []uint64
		var err error
		if len(all) > 0 {
			// What was delivered must be stored, even at shutdown: each
			// attempt runs to its end; retries stop once ctx ends (the
			// plugin then sends the batch again at the next start).
			err = t.storeRetry(ctx, "storing events", func() (err error) {
				fresh, keys, err = t.db.CommitEvents(context.WithoutCancel(ctx), t.name, all)
				return err
			})
			if err != nil {
				t.log.Error("storing events failed; the plugin will send them again", "err", err)
			}
		}
		t.metrics.CommitDone(began, len(all))
		off := 0
		t.inflightMu.Lock()
		for _, j := range jobs {
			n := len(j.in)
			j.c.err = err
			if err == nil {
				j.c.fresh, j.c.keys = fresh[off:off+n], keys[off:off+n]
			}
			off += n
			for _, k := range j.keys {
				if t.inflight[k]--; t.inflight[k] <= 0 {
					delete(t.inflight, k)
				}
			}
			for _, k := range j.refs {
				delete(t.newRefs, k)
			}
			for _, k := range j.xidKeys {
				delete(t.newXIDs, k)
			}
		}
		t.inflightMu.Unlock()
		for _, j := range jobs {
			close(j.c.done)
			j.res <- err
		}
	}
}

// storeRetry runs fn, and again after each failure, waiting 100 ms
// doubling to 5 s: a store failure (a full or failing disk) is waited
// out with a log line per attempt, not turned into a plugin restart. It
// returns fn's last error once ctx ends or the store is closed.
func (t *transport) storeRetry(ctx context.Context, what string, fn func() error) error {
	wait := 100 * time.Millisecond
	for {
		err := fn()
		if err == nil || errors.Is(err, store.ErrClosed) || ctx.Err() != nil {
			return err
		}
		t.log.Error("store failure; retrying", "doing", what, "err", err, "retry_in", wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// newXMPPRef finds a message of a batch still committing by the XMPP ID
// it was delivered with.
func (t *transport) newXMPPRef(loginID, chatID, xmppID string) (store.MessageRef, bool) {
	t.inflightMu.Lock()
	defer t.inflightMu.Unlock()
	r, ok := t.newRefs[t.newXIDs[refKey(loginID, chatID, xmppID)]]
	return r, ok
}

// newRef finds a message of a batch still committing.
func (t *transport) newRef(loginID, chatID, remoteID string) (store.MessageRef, bool) {
	t.inflightMu.Lock()
	defer t.inflightMu.Unlock()
	r, ok := t.newRefs[refKey(loginID, chatID, remoteID)]
	return r, ok
}

// ephemeral events (typing, receipts, presence) are delivered without
// being stored: they are worth nothing late, a crash may lose one, and
// storing them would cost most of the store's work per message.
func ephemeral(ev *pb.Event) bool {
	switch ev.Payload.(type) {
	case *pb.Event_Typing, *pb.Event_Receipt, *pb.Event_Presence:
		return true
	}
	return false
}

// encodeOutbox keeps the XMPP id with the event, so a redelivery after a
// restart carries the same id.
func encodeOutbox(xid string, ev *pb.Event) ([]byte, error) {
	b := binary.AppendUvarint(nil, uint64(len(xid)))
	b = append(b, xid...)
	b, err := proto.MarshalOptions{}.MarshalAppend(b, ev)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	return b, nil
}

func decodeOutbox(b []byte) (string, *pb.Event, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", nil, errors.New("bad outbox entry")
	}
	xid := string(b[k : k+int(n)])
	ev := &pb.Event{}
	if err := proto.Unmarshal(b[k+int(n):], ev); err != nil {
		return "", nil, fmt.Errorf("decode outbox event: %w", err)
	}
	return xid, ev, nil
}

func (t *transport) loadOutbox() ([]delivery, error) {
	entries, err := t.db.Outbox(t.name)
	if err != nil {
		return nil, err
	}
	var ds []delivery
	var bad []uint64
	for _, e := range entries {
		xid, ev, err := decodeOutbox(e.Payload)
		if err != nil {
			t.log.Error("undecodable outbox entry dropped", "key", e.Key, "err", err)
			bad = append(bad, e.Key)
			continue
		}
		ds = append(ds, delivery{key: e.Key, xid: xid, ev: ev})
	}
	if len(bad) > 0 {
		if err := t.db.OutboxDone(context.Background(), t.name, bad); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// refWait is an event waiting for the messages it names to be stored.
type refWait struct {
	key     string            // the chat's sendKey "*"
	arrived []<-chan struct{} // one per message not stored yet
	cancel  []func()
}

// receiptWaits returns what a receipt must wait for, or nil when it can
// be delivered now: it is not a receipt anyone in its chat asked for,
// or no send in its chat is under way, or the messages it names are
// known.
func (t *transport) receiptWaits(ev *pb.Event) *refWait {
	rc, ok := ev.Payload.(*pb.Event_Receipt)
	if !ok || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || !t.recent.asks(chatKey(ev.LoginId, ev.ChatId)) {
		return nil
	}
	return t.refWaits(ev, rc.Receipt.MessageIds)
}

// targetWaits returns what a reply, correction, reaction or retraction
// in a direct chat must wait for, or nil when it can be delivered now.
func (t *transport) targetWaits(ev *pb.Event) *refWait {
	if ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || ev.ChatId == "" {
		return nil // only direct chats name messages by remote ID
	}
	var target string
	switch p := ev.Payload.(type) {
	case *pb.Event_Message:
		target = p.Message.ReplyToId
	case *pb.Event_Edit:
		target = p.Edit.TargetId
	case *pb.Event_Reaction:
		target = p.Reaction.TargetId
	case *pb.Event_Retraction:
		target = p.Retraction.TargetId
	}
	if target == "" {
		return nil
	}
	return t.refWaits(ev, []string{target})
}

// refWaits returns what ev must wait for before the messages ids name are
// known, or nil when no send in its chat is under way (none will bring
// them) or they are known. It registers the waits before it looks, so
// that a result stored in between is not missed.
func (t *transport) refWaits(ev *pb.Event, ids []string) *refWait {
	w := &refWait{key: sendKey(ev.LoginId, ev.ChatId, "*")}
	if !t.sending.busy(w.key) {
		return nil
	}
	for _, id := range ids {
		arrived, cancel := t.stored.await(refKey(ev.LoginId, ev.ChatId, id))
		if t.refKnown(ev.LoginId, ev.ChatId, id) {
			cancel()
			continue
		}
		w.arrived = append(w.arrived, arrived)
		w.cancel = append(w.cancel, cancel)
	}
	if len(w.arrived) == 0 {
		return nil
	}
	return w
}

// wait returns once the messages are stored, or once no send in the
// chat is under way, or after targetWait. Sends end in any order (their
// results are handled side by side): it waits for the named ones, not
// for the next to end.
func (w *refWait) wait(ctx context.Context, t *transport) {
	defer func() {
		for _, c := range w.cancel {
			c()
		}
	}()
	deadline := time.After(targetWait)
	for _, arrived := range w.arrived {
		for waiting := true; waiting; {
			ended := t.sending.ended(w.key)
			if ended == nil { // no send under way: none will bring it
				return
			}
			select {
			case <-arrived:
				waiting = false
			case <-ended: // one send ended: see whether any is left
			case <-deadline:
				return
			case <-ctx.Done():
				return
			}
		}
	}
}

// resendLoop writes again, first, what a lost connection left
// unconfirmed (see unconfirmed), once the next is up.
func (t *transport) resendLoop(ctx context.Context) {
	for {
		select {
		case <-t.unconfirmed.lost:
			t.unconfirmed.flush(ctx)
		case <-ctx.Done():
			return
		}
	}
}

// deliverNow turns a network event into stanzas and writes them; a stored
// one leaves the outbox once the server confirmed it (see unconfirmed).
func (t *transport) deliverNow(ctx context.Context, d delivery) {
	stanzas := t.render(ctx, d)
	if len(stanzas) == 0 {
		if d.written != nil {
			d.written.Store(true) // handled: nothing left to deliver
		}
		t.metrics.Delivered(false, false, 0)
		t.markDone(ctx, d)
		return
	}
	if d.key != 0 || d.commit != nil {
		// Stored: it stays in the outbox until the server confirms it.
		if t.unconfirmed.send(ctx, d, stanzas) == nil {
			stagetrace.Mark(stagetrace.GatewayOut, d.ev.GetMessage().GetText())
		}
		return
	}
	// Ephemeral (typing, receipts): worth nothing late, not kept.
	for _, data := range stanzas {
		for ctx.Err() == nil {
			if err := t.link.WaitUp(ctx); err != nil {
				return
			}
			if err := t.link.Send(ctx, data, nil); err == nil {
				break
			}
		}
	}
}

// delivered is a stored delivery the server confirmed: it leaves the
// outbox. It runs on the link's writer.
func (t *transport) delivered(ctx context.Context, d delivery) {
	t.metrics.Delivered(d.ev.GetMessage() != nil, true, d.ev.TimestampUnixMicro)
	if d.written != nil {
		d.written.Store(true)
	}
	t.markDone(ctx, d)
}

// refKnown reports whether the message a remote ID names is known.
func (t *transport) refKnown(loginID, chatID, remoteID string) bool {
	if _, ok := t.newRef(loginID, chatID, remoteID); ok {
		return true
	}
	_, err := t.db.LookupRemote(t.name, loginID, chatID, remoteID)
	return err == nil
}

// arrivals lets goroutines wait for a key to be signalled.
type arrivals struct {
	mu sync.Mutex
	m  map[string][]chan struct{}
}

// await returns a channel closed when key is signalled, and a func that
// stops waiting (call it in any case).
func (a *arrivals) await(key string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	a.mu.Lock()
	if a.m == nil {
		a.m = map[string][]chan struct{}{}
	}
	a.m[key] = append(a.m[key], ch)
	a.mu.Unlock()
	return ch, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		chs := a.m[key]
		for i, c := range chs {
			if c == ch {
				chs = append(chs[:i], chs[i+1:]...)
				break
			}
		}
		if len(chs) == 0 {
			delete(a.m, key)
		} else {
			a.m[key] = chs
		}
	}
}

// signal wakes every waiter of key.
func (a *arrivals) signal(key string) {
	a.mu.Lock()
	chs := a.m[key]
	delete(a.m, key)
	a.mu.Unlock()
	for _, ch := range chs {
		close(ch)
	}
}

func (t *transport) markDone(ctx context.Context, d delivery) {
	if d.key == 0 && d.commit == nil {
		return // not stored: nothing to clear
	}
	select {
	case t.doneKeys <- d:
	case <-ctx.Done():
		select {
		case t.doneKeys <- d:
		default:
		}
	}
}

// outboxKey is a delivered event's outbox key, once its commit is done;
// 0 when it was not stored.
func (t *transport) outboxKey(ctx context.Context, d delivery) uint64 {
	if d.commit == nil {
		return d.key
	}
	select {
	case <-d.commit.done:
	case <-time.After(10 * time.Second):
		return 0 // the commit never came: the entry stays for a redelivery
	}
	if d.commit.err != nil || d.idx < 0 || !d.commit.fresh[d.idx] {
		return 0
	}
	return d.commit.keys[d.idx] // 0 when it was delivered before the commit
}

// outboxDoneLoop removes delivered events from the outbox in batches: one
// store write for many messages.
func (t *transport) outboxDoneLoop(ctx context.Context) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var keys []uint64
	flush := func() {
		if len(keys) == 0 {
			return
		}
		if err := t.db.OutboxDone(context.WithoutCancel(ctx), t.name, keys); err != nil {
			t.log.Error("outbox cleanup failed", "err", err)
		}
		keys = keys[:0]
	}
	for {
		select {
		case d := <-t.doneKeys:
			if k := t.outboxKey(ctx, d); k != 0 {
				keys = append(keys, k)
			}
			if len(keys) >= 512 {
				flush()
			}
		case <-tick.C:
			flush()
		case <-ctx.Done():
			// Writes under way confirm for a moment after the stop: take
			// them until things are quiet, so a clean stop leaves nothing
			// to deliver twice.
			quiet := time.NewTimer(200 * time.Millisecond)
			limit := time.After(2 * time.Second)
		drain:
			for {
				select {
				case d := <-t.doneKeys:
					if k := t.outboxKey(ctx, d); k != 0 {
						keys = append(keys, k)
					}
					quiet.Reset(200 * time.Millisecond)
				case <-quiet.C:
					break drain
				case <-limit:
					break drain
				}
			}
			flush()
			return
		}
	}
}

// client returns the plugin's contract client, waiting a little for a
// plugin that is starting or restarting.
func (t *transport) client(ctx context.Context) (pb.TransportClient, error) {
	if c, err := t.host.Client(); err == nil {
		return c, nil
	}
	wctx, cancel := context.WithTimeout(ctx, targetWait)
	defer cancel()
	t.host.WaitReady(wctx)
	return t.host.Client()
}
