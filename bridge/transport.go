package bridge

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/bridge/media"
	"passerelle.im/passerelle/bridge/metrics"
	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
	"passerelle.im/passerelle/internal/stopwait"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/store"
)

// transport is one network as the gateway runs it: a component link, a
// plugin process and the routing between them.
type transport struct {
	name, domain string
	started      time.Time // the gateway's uptime counts from it (last_activity.go)
	jids         jidCache
	dataDir      string
	access       config.Access
	maxBody      int
	maxStanza    int // the server's stanza size limit (netinput.go)
	// joinOccupants caps the occupant presences of a join
	// (room_crowd.go); 0: every member.
	joinOccupants int
	db            *store.DB
	log           *slog.Logger
	link          *xmpplink.Link
	host          *pluginhost.Host
	metrics       *metrics.Transport // nil: metrics off
	// roomsClosed: the stop told the rooms' occupants they are out
	// (room_stop.go); a join from then on is refused.
	roomsClosed atomic.Bool
	// heldReplayed: the messages an earlier process held were sent
	// again (held.go).
	heldReplayed atomic.Bool
	// heldQ records what waits behind a held message (held_queue.go).
	heldQ heldQueue
	// gate holds a chat's live messages behind its replay (held_gate.go).
	gate replayGate
	// down tells the users when the plugin stays down (plugindown.go).
	down pluginDown
	// storeFails keeps a failing store's lines few (storefail.go).
	storeFails storeFailLog
	// mds publishes the user's reads on other devices (room_mds.go).
	mds mdsSync

	// The chats' workers (chat.go): the stanzas each user sends, and the
	// events the network sends to them.
	in  chats[*wire.Stanza]
	out chats[delivery]
	// hist fetches the chats' history and delivers it apart from live
	// events (backfill.go).
	hist *backfill
	// bg: the goroutines beside the chats, which the stop waits for
	// last (background.go).
	bg stopwait.Group
	// Slow work's pools (see slowly): downloads of the users' files, and
	// uploads of the network's files to the users' servers.
	downloads, uploads chan struct{}

	idPrefix string
	ids      atomic.Uint64
	// conns numbers the logins' Connects (connmark.go).
	conns connNumbers

	mu       sync.RWMutex
	sessions map[string]*session // user bare JID -> their login's session (session.go)
	byLogin  map[string]*session // login ID -> its session
	perms    perms               // XEP-0356, from the server
	// privV1 are the urn:xmpp:privilege:1 grants last advertised, in
	// perms only while privV1OK: the server said it is one known to
	// honour them (privilege.go).
	privV1   perms
	privV1OK bool
	// privV1Said is the server last told about, so it is said once.
	privV1Said string
	// privMissingSaid are the privileges last told missing, so they are
	// said once (newlyMissingPrivileges).
	privMissingSaid string
	// privKnown is closed once the server's grants are known (privilege.go).
	privKnown chan struct{}
	privOnce  sync.Once
	subs      *subLimiter

	// retention bounds the room archives (retention.go);
	// retentionEvery is how often they are pruned (0: retentionEvery).
	retention      store.ArchiveRetention
	retentionEvery time.Duration

	// idWindow is how long a plain message id marks a resend (0:
	// defaultIDWindow); tests shorten it.
	idWindow time.Duration

	adhoc  adhocSessions
	recent recents

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
	// expiry wakes expiryLoop for a new deadline (expiry.go).
	expiry expiries
	// late are run-out messages waiting for the network's keep
	// (expiry_late.go).
	late lateMessages
	// typing ends the contacts' composing the network ends by silence
	// (typing_expiry.go).
	typing typingWatch

	unconfirmed *unconfirmed // stored deliveries written, not yet confirmed by the server

	logouts logoutsInFlight // finished before the link closes at a stop (logout_stop.go)

	inflightMu sync.Mutex
	inflight   map[string]int              // dedup keys of batches not yet committed
	newRefs    map[string]store.MessageRef // remote ID key -> ref, not yet committed
	newXIDs    map[string]string           // XMPP ID key -> remote ID key, likewise
}

func newTransport(cfg *config.Config, tc config.Transport, db *store.DB, ms *media.Server, log *slog.Logger) *transport {
	t := &transport{
		started:     time.Now(),
		name:        tc.Name,
		domain:      tc.Domain,
		dataDir:     tc.DataDir,
		mediaServer: ms,
		mediaMax:    cfg.Media.MaxBytes,
		access:      cfg.Access,
		maxBody:     cfg.Limits.MaxBodyBytes,
		maxStanza:   cfg.XMPP.MaxStanzaBytes,
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
		expiry:      expiries{wake: make(chan struct{}, 1)},
		inflight:    map[string]int{},
		newRefs:     map[string]store.MessageRef{},
		newXIDs:     map[string]string{},
		retention:   archiveRetention(tc),
		privKnown:   make(chan struct{}),
	}
	t.conns.seed(t.started)
	t.in.handle, t.in.max, t.in.limit = t.handle, inboundQueue, inboundChats
	t.out.handle = chatDelivery{t: t, now: t.deliverNow}.deliver
	t.hist = newBackfill(t, tc.BackfillMessages)
	t.joinOccupants = tc.RoomJoinOccupants
	t.subs = &subLimiter{t: t, ch: make(chan []byte, 1024)}
	t.link = xmpplink.New(xmpplink.Config{
		Addr: cfg.XMPP.Server, Domain: tc.Domain, ServerDomain: cfg.XMPP.ServerDomain, Secret: tc.Secret, SecretFrom: tc.SecretSource,
		PingInterval: cfg.XMPP.PingInterval, PingTimeout: cfg.XMPP.PingTimeout, ReconnectMax: cfg.XMPP.ReconnectMax,
		Log: t.log, Handle: t.route, OnUp: t.onLinkUp,
		MaxStanzaBytes: cfg.XMPP.MaxStanzaBytes, OnTooLarge: func(string) { t.metrics.InputFixed("stanza_too_large") },
	})
	t.unconfirmed = newUnconfirmed(t.link, t.delivered)
	// The server's domain as it is at each lookup: the server may show
	// it after the start (privilegeAdvert).
	t.uploader = media.NewUploader(t.link, t.domain, t.link.ServerDomain, nil)
	if cfg.Media.UploadService != "" {
		t.uploader.SetService(cfg.Media.UploadService)
	}
	t.fetcher = (&media.Guard{Allow: cfg.Media.FetchAllow, Trusted: t.uploader.ServesFrom}).Client()
	t.host = pluginhost.New(pluginhost.Config{
		Name: tc.Name, Path: tc.Plugin, DataDir: tc.DataDir, ConfigJSON: tc.PluginConfig, Domain: tc.Domain,
		ConfigAt: cfg.PluginConfigAt(tc), Log: log, OnEvents: t.pluginEvents, OnReady: t.onPluginReady,
		OnStop: t.pluginStopped, OnStart: t.hist.restarted, OnHistory: t.hist.store,
		OnInvalidUTF8: func() { t.metrics.InputFixed("invalid_utf8") },
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
	owed, err := t.db.OwedLogouts(t.name)
	if err != nil {
		t.log.Error("cannot read the owed logouts; their folders may go before the network hears of them", "err", err)
	}
	t.sweepLoginDirs(append(logins, owed...)) // an owed logout keeps its folder
	backlog, err := t.loadOutbox()
	if err != nil {
		t.log.Error("cannot read the outbox; transport not started", "err", err)
		return
	}
	t.log.Info("transport starting", "domain", t.domain, "logins", len(logins), "undelivered", len(backlog))

	t.in.ctx, t.out.ctx = ctx, ctx
	// Before the plugin starts: its Connects take these (outbox.go).
	backlog, undone := t.savedStatesFirst(ctx, backlog)
	backlog = t.hist.resume(ctx, backlog)
	// What the outbox kept goes first, in each chat's order, before the
	// plugin (started below) sends anything new.
	now := time.Now()
	for _, d := range backlog {
		t.pushOrHold(d, now) // expiry_late.go
	}
	var wg sync.WaitGroup
	// The link outlives ctx for the rooms' goodbyes (room_stop.go),
	// then closes as it does (what it wrote confirmed, a moment).
	linkCtx, stopLink := context.WithCancel(context.WithoutCancel(ctx))
	hostDone := make(chan struct{})
	wg.Go(func() { t.link.Run(linkCtx) })
	wg.Go(func() {
		<-ctx.Done()
		// What is read from now on is answered at the next start
		// (stop_kept.go).
		t.log.Info("transport stopping")
		t.closeRoomsAtStop()
		// The answers to the commands in flight, which the plugin host
		// waits for (its drain), may tell the user of a refusal.
		select {
		case <-hostDone:
		case <-time.After(hostStopWait):
			t.log.Warn("stopping before the transport plugin ended: the answers of its last commands may not reach the users", "wait", hostStopWait)
		}
		// After the host's end: a logout command taken before the stop
		// and begun during the drain is counted by then.
		if cut := t.logouts.wait(logoutStopWait); len(cut) > 0 {
			t.log.Warn("stopping with logouts under way, cut: the network logout is owed and told at the next start, but these users' rosters may keep the gateway's contacts until they log in again (or remove them by hand)",
				"users", cut, "wait", logoutStopWait)
		}
		stopLink()
	})
	// The plugin's events and the deadlines' retractions, and the
	// commit loop that stores them, which outlives them (outbox.go).
	wg.Go(func() {
		t.runFed(ctx, func(ctx context.Context) {
			defer close(hostDone)
			t.host.Run(ctx)
		}, t.expiryLoop)
	})
	wg.Go(func() { t.resendLoop(ctx) })
	wg.Go(func() { t.outboxDoneLoop(ctx, undone) })
	wg.Go(func() { t.subs.run(ctx) })
	wg.Go(func() { t.retentionLoop(ctx) })
	wg.Wait()
	t.late.stop()
	t.typing.stop()
	// The chats' workers, and their slow work, end with ctx.
	// Each closed before its wait: a worker started after it would run
	// past the stop (chats.push refuses; what it refused stays in the
	// outbox, or the next start reads it again).
	t.in.close() // a login's Connect starting now waits for the next start
	t.in.wg.Wait()
	t.out.close()
	t.out.wg.Wait()
	t.hist.lane.close()
	t.hist.lane.wg.Wait()
	t.bg.Stop()
	// The plugin host's callbacks (a command refused after its stop, a
	// result past its drain) run the transport's code: they end before
	// the gateway closes the store. Last: background work could still
	// send commands until bg.stop.
	t.host.Close()
}

// hostStopWait bounds how long the stop keeps the link open for the
// plugin host's end: its wait for the commands in flight (3 s) and the
// plugin's exit.
const hostStopWait = 5 * time.Second

// onPluginReady reconnects every login after each start of the plugin, so
// a plugin crash needs no action from anyone.
func (t *transport) onPluginReady(ctx context.Context, caps *pb.Capabilities) {
	client, err := t.client(ctx)
	if err != nil {
		return
	}
	wasDown := t.down.up()           // plugindown.go
	t.settleOwedLogouts(ctx, client) // logout.go
	// Once the plugin takes commands (after this returns): what an
	// earlier process held. The replay runs once a process, under the
	// transport's context, not this plugin's (ctx): a plugin that dies
	// while a room's record waits for the login's rooms must not end
	// the wait, or the message went to the next plugin without its
	// reflection (TestHeldRoomReplayOutlivesPlugin).
	t.goBg(func() {
		if t.host.WaitReady(ctx) == nil {
			t.replayHeld(t.in.ctx) // held.go
		}
	})
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
	if wasDown {
		// The users were told the plugin was down: each login's state
		// again (the plugin's own events may have said it already).
		for _, s := range connected {
			t.send(ctx, s.gatewayPresence())
		}
	}
	// Contact lists and rosters follow in the background, a few at a
	// time: messages need not wait for them.
	t.goBg(func() {
		sem := make(chan struct{}, 4)
		for _, s := range connected {
			sem <- struct{}{}
			t.goBg(func() {
				defer func() { <-sem }()
				s.syncContacts(ctx)
			})
		}
	})
}

func (t *transport) connect(ctx context.Context, client pb.TransportClient, l store.Login) bool {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	dir, err := t.loginDir(ctx, l) // logindir.go
	if err == nil {
		_, err = client.Connect(cctx, &pb.ConnectRequest{LoginId: l.LoginID, UserJid: l.UserJID, SavedState: l.SavedState, LoginDir: dir,
			Connection: t.newConnection(l.LoginID)})
	}
	if err != nil {
		if ctx.Err() == nil {
			t.log.Warn("login did not connect", "user", l.UserJID, "login", l.LoginID, "err", err)
			t.connectFailed(ctx, l, err)
		}
		return false
	}
	return true
}

// connectFailed tells the user that their login did not connect, as its
// state (the gateway's presence, and once in a chat): a login the network
// wants logged in again is logged out; another failure stops it, which
// relogin undoes. Without it the gateway showed itself available and
// every message failed unexplained. A plugin that went away meanwhile
// connects the login again when it is back, and says how that went.
func (t *transport) connectFailed(ctx context.Context, l store.Login, err error) {
	t.recordConnectFailure(ctx, l, err, false)
}

// connectFailedQuiet is connectFailed without the chat's notice, for a
// caller whose answer already tells the user (a relogin command): not
// said twice.
func (t *transport) connectFailedQuiet(ctx context.Context, l store.Login, err error) {
	t.recordConnectFailure(ctx, l, err, true)
}

func (t *transport) recordConnectFailure(ctx context.Context, l store.Login, err error, quiet bool) {
	s := t.sessionOf(l.LoginID)
	if s == nil || pluginAway(err) {
		return
	}
	state, next := t.connectFailure(err)
	told := ""
	if state == pb.LoginState_LOGIN_STATE_STOPPED {
		// The gateway's failure, not the network's: said as such. A
		// logged out login has the state's own notice.
		told = connectFailedText(t.displayName(), err, next)
	}
	s.setStateTold(ctx, &pb.LoginStateEvent{State: state, Message: "the gateway could not connect it: " + errText(err)}, told, quiet)
}

// connectFailure is the login's state after a Connect failed with err,
// and what the user does next.
func (t *transport) connectFailure(err error) (pb.LoginState, string) {
	var se *sdk.Error
	if !errors.As(err, &se) {
		se = sdk.FromGRPC(err)
	}
	switch se.Code {
	case pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, pb.ErrorCode_ERROR_CODE_UNAUTHORIZED:
		return pb.LoginState_LOGIN_STATE_LOGGED_OUT, "Log in again with the login command (or send \"login\" here)."
	}
	return pb.LoginState_LOGIN_STATE_STOPPED, "Your login is kept: the relogin command (or \"relogin\" here) tries again."
}

// onLinkUp learns the server's privileges and tells every registered
// user the gateway is there, and how their login stands.
func (t *transport) onLinkUp() {
	t.goBg(t.learnPrivileges)
	for _, s := range t.allSessions() {
		t.send(context.Background(), s.gatewayPresence())
	}
}
