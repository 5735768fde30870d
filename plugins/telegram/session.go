package telegram

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/updates"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"passerelle.im/passerelle/plugins/pollstore"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/botmode"
	"passerelle.im/passerelle/plugins/telegram/customemoji"
	"passerelle.im/passerelle/plugins/typingkeep"
)

// ConnectWait is how long Connect waits for the first connection's
// outcome before it returns anyway (the attempt goes on).
var ConnectWait = 20 * time.Second

// RetryDelay is the wait before the session dials again after its client
// stopped on an error that is not the end of the login.
var RetryDelay = 30 * time.Second

// Session is one Telegram account's connection.
type Session struct {
	n     *Network
	login sdk.LoginInfo
	saved saved
	// bot, for a login made with a bot token, does everything: the
	// methods hand over to it.
	bot *botmode.Session

	mu    sync.Mutex
	r     *runner
	st    *store
	peers *peers
	mgr   *updates.Manager
	api   *tg.Client
	// runMgr is the updates manager while it runs, and runCtx its run's
	// context, done once it stops (joinpts.go hands it held updates).
	runMgr  *updates.Manager
	runCtx  context.Context
	self    int64
	stopped bool // Disconnect or Logout: no more retries
	gen     int  // which connection the background goroutines serve
	// running counts the goroutines that run a client: the database
	// closes once none does.
	running sync.WaitGroup

	gaps       gapFill     // gap.go
	cappedTold atomic.Bool // the dialogs' limit was told (dialogs.go)
	// cappedBans are the groups and channels whose ban list's limit was
	// told (memberlimit.go).
	cappedBans sync.Map
	// cappedForums are the forums whose topics' limit was told (topics.go).
	cappedForums sync.Map
	// cappedGroups are the supergroups whose members' limit was told
	// (memberlimit.go).
	cappedGroups sync.Map
	sent         sentSet
	hold         sendHold  // sending.go
	live         liveSends // sending.go
	react        reactionCache
	emojiAlts    customemoji.Cache // customemoji.go
	uploads      uploads
	topics       topicCache
	banLists     banCache        // bancache.go
	ownBans      ownBans         // ownbans.go
	found        foundSet        // search.go
	polls        pollCache       // polls.go
	creates      createLog       // create_txn.go
	unpins       unpinSet        // pin.go
	newest       newestSeen      // readmark.go
	had          shownIDs        // ownread.go
	shown        shownTexts      // shown.go
	delivered    deliveredTexts  // delivered.go
	gone         goneMessages    // gonemsgs.go
	quotes       quoteCache      // quote.go
	groupReads   groupReadCache  // groupreads.go
	quoteFetch   quoteFetches    // quotefetch.go
	restricts    restrictTimers  // restrictexpiry.go
	reactMax     reactLimits     // reactlimit.go
	listing      contactListing  // contacts.go
	typing       typingkeep.Lazy // typing.go
	deleted      deletedChats    // delete.go
	asks         *sdk.ToldSets   // joinrequests.go
	joins        joinGate        // joinpts.go
	askOrder     askOrder        // joinrequests_order.go
	askTell      askTelling      // joinrequests_telling.go
	bulk         bulkDeletes     // bulkdelete.go
	own          ownNick         // ownprofile.go
	handed       handedPts       // handover.go
}

func newSession(n *Network, login sdk.LoginInfo, st saved) *Session {
	s := &Session{n: n, login: login, saved: st, self: st.UserID, peers: newPeers(nil)}
	s.peers.onChannel = s.watchRestriction // restrictexpiry.go
	s.asks = loadJoinRequests("", nil)     // kept in memory only without a folder
	if login.Dir != "" {
		s.asks = loadJoinRequests(login.Dir, n.log().With("login", login.LoginID))
	}
	s.peers.err = func(err error) {
		n.log().Warn("telegram: access hashes not kept", "login", login.LoginID, "err", err)
	}
	if login.Dir != "" { // else kept in memory only
		s.creates.path, s.creates.log = filepath.Join(login.Dir, createsFile), n.log().With("login", login.LoginID)
	}
	if login.Dir != "" { // else polls kept in memory only
		s.polls.load(login.Dir, n.log().With("login", login.LoginID))
	}
	return s
}

// emit sends an event of this login.
func (s *Session) emit(ev *pb.Event) {
	s.limitChatEvents(context.Background(), []*pb.Event{ev}) // chatrights.go
	s.forgetRemoved([]*pb.Event{ev})                         // joinrequests.go
	ev.LoginId = s.login.LoginID
	s.n.host.Emit(ev)
}

func (s *Session) state(st pb.LoginState, msg string) {
	ev := &pb.LoginStateEvent{State: st, Message: msg}
	if st == pb.LoginState_LOGIN_STATE_CONNECTED {
		ev.Features = s.loginFeatures() // reactlimit.go
	}
	s.emit(&pb.Event{Payload: &pb.Event_LoginState{LoginState: ev}})
}

// Connect opens the login's database and starts the client and gotd's
// updates manager, which resumes from the state in the database (gap
// recovery: what came while the gateway was away comes now). It returns
// once the first connection has an outcome, at most ConnectWait later.
func (s *Session) Connect(ctx context.Context) error {
	if s.bot != nil {
		return s.bot.Connect(ctx)
	}
	s.mu.Lock()
	if s.r != nil {
		s.mu.Unlock()
		return nil
	}
	if s.login.Dir == "" {
		s.mu.Unlock()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "telegram: this login has no folder: log in again")
	}
	if s.st == nil {
		st, err := openStore(s.login.Dir)
		if err != nil {
			s.mu.Unlock()
			return err
		}
		s.st = st
		s.peers.use(st)
		s.loadSendNotes(st)
		s.loadChannelTops(st)
		s.loadBulkDeletes(st) // bulkdelete.go
		s.loadDeleted(st)     // delete.go
	}
	s.stopped = false
	s.mu.Unlock()
	ready := make(chan struct{})
	s.start(ready)
	t := time.NewTimer(ConnectWait)
	defer t.Stop()
	select {
	case <-ready:
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

// start dials in the background; ready is closed once the first outcome
// is known.
func (s *Session) start(ready chan struct{}) {
	var once sync.Once
	isReady := func() { once.Do(func() { close(ready) }) }
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		isReady()
		return
	}
	s.gen++
	gen := s.gen
	s.running.Add(1)
	// A catch-up's pts updates, taken from gotd's manager, wait for
	// its state to be saved (diffupdates.go).
	pending := &gapPending{}
	storage := gapStorage{store: s.st, s: s, pending: pending}
	mgr := updates.New(updates.Config{
		Handler:               telegram.UpdateHandlerFunc(s.handle),
		Storage:               storage,
		AccessHasher:          s.st,
		UserAccessHasher:      s.st,
		OnChannelTooLong:      s.channelTooLong(gen, storage.channelCaughtUp), // gap.go
		OnChannelInaccessible: s.channelInaccessible(gen),                     // channelupdate.go
		// Each channel followed is caught up at each start, one
		// getChannelDifference each: a few at a time, not a burst that
		// Telegram answers with FLOOD_WAIT.
		MaxChannelDifferenceConcurrency: channelCatchUps,
		OnTooLong:                       s.tooLong(s.st), // toolong.go
	})
	s.mgr = mgr
	st := s.st
	s.mu.Unlock()
	s.state(pb.LoginState_LOGIN_STATE_CONNECTING, "connecting to Telegram")
	go func() {
		defer s.running.Done()
		var api *tg.Client
		var dropped atomic.Bool // the connection dropped since it was ready
		client := s.n.newClient(s.n.appFor(s.saved), s.login.Dir, gatedHandler{s: s, mgr: mgr}, func(cs telegram.ConnectionState) {
			switch cs {
			case telegram.ConnectionStateDisconnected:
				if !dropped.Swap(true) {
					s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, "the connection to Telegram dropped; reconnecting")
				}
			case telegram.ConnectionStateReady:
				// gotd dialled again by itself: connected again (the first
				// CONNECTED comes once the updates manager runs).
				if dropped.Swap(false) {
					s.state(pb.LoginState_LOGIN_STATE_CONNECTED, "")
					// Telegram does not resend what it pushed while the
					// connection was down: ask for the difference now, not
					// at the next update's gap.
					go func() {
						ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
						defer cancel()
						if err := mgr.Handle(ctx, &tg.UpdatesTooLong{}); err != nil {
							s.n.log().Warn("telegram: updates after a reconnection", "login", s.login.LoginID, "err", err)
						}
					}()
				}
			}
		}, s.watchLoggedOut(gen), waitFlood(), s.gapUpdates(st, pending)) // diffupdates.go
		api = client.API()
		r, err := startRunner(context.Background(), client, func(ctx context.Context) error {
			status, err := client.Auth().Status(ctx)
			if err != nil {
				return err
			}
			if !status.Authorized {
				return errUnauthorized
			}
			s.mu.Lock()
			s.api = api
			if s.self != status.User.ID {
				// Written only when it changes (an old login without
				// it saved): goroutines of the last connection read it.
				s.self = status.User.ID
			}
			s.mu.Unlock()
			s.peers.add([]tg.UserClass{status.User}, nil)
			if st := s.db(); st != nil {
				sctx, cancel := context.WithTimeout(ctx, appConfigWait)
				s.seedChannelPts(sctx, api, st) // channelpts.go
				cancel()
			}
			defer s.managerStops(mgr)
			defer storage.ended() // gapreactions.go
			return mgr.Run(ctx, api, status.User.ID, updates.AuthOptions{OnStart: func(ctx context.Context) {
				s.managerRuns(ctx, gen, mgr) // joinpts.go
				// The server's reaction limits, which CONNECTED's
				// features say (reactlimit.go); Telegram's usual ones
				// when it does not answer soon.
				rctx, cancel := context.WithTimeout(ctx, appConfigWait)
				s.reactionsMax(rctx, api)
				cancel()
				s.hold.begin() // the catch-up comes next
				s.state(pb.LoginState_LOGIN_STATE_CONNECTED, "")
				isReady()
			}})
		})
		if err != nil {
			isReady()
			s.ended(gen, err)
			return
		}
		s.mu.Lock()
		if s.gen != gen || s.stopped {
			s.mu.Unlock()
			r.stop()
			return
		}
		s.r = r
		s.mu.Unlock()
		<-r.done
		isReady()
		s.ended(gen, r.err)
	}()
}

var errUnauthorized = errors.New("telegram: this session is not logged in")

// ended handles the client's end: the login is over (logged out from
// elsewhere, banned), or it dials again later.
func (s *Session) ended(gen int, err error) {
	over := errors.Is(err, errUnauthorized) || loggedOut(err)
	s.mu.Lock()
	if s.gen != gen || s.stopped {
		s.mu.Unlock()
		return
	}
	s.r, s.api = nil, nil
	if over {
		s.gen++ // said once, here or by loggedOutLive
	}
	s.mu.Unlock()
	switch {
	case over:
		s.state(pb.LoginState_LOGIN_STATE_LOGGED_OUT, loggedOutText(err))
		return
	case tgerr.Is(err, "API_ID_INVALID", "API_ID_PUBLISHED_FLOOD"):
		s.state(pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, refusal(err))
		return
	}
	if d, ok := tgerr.AsFloodWait(err); ok {
		// A flood wait ends by itself: dial again once it is over (the
		// login stopped until the user's relogin before).
		delay := max(d, RetryDelay)
		s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, fmt.Sprintf("%s Trying again in %s.", refusal(err), delay.Round(time.Second)))
		s.retry(gen, delay)
		return
	}
	if r := refusal(err); r != "" {
		// The login is good, Telegram refuses the client (too old):
		// say what to do, do not hammer.
		s.state(pb.LoginState_LOGIN_STATE_STOPPED, r)
		return
	}
	msg := "the connection to Telegram stopped"
	if err != nil {
		msg += ": " + err.Error()
	}
	s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, fmt.Sprintf("%s; trying again in %s", msg, RetryDelay))
	s.retry(gen, RetryDelay)
}

// loggedOutText says why the login is over.
func loggedOutText(err error) string {
	if msg := refusal(err); msg != "" {
		return msg
	}
	return "Telegram no longer knows this session (logged out from another device?): log in again."
}

// watchLoggedOut sees every request of connection gen: one Telegram
// answers that the session is over (terminated from another device:
// AUTH_KEY_UNREGISTERED, SESSION_REVOKED...) ends the connection as
// logged out. Telegram pushes nothing when a session is terminated, and
// the connection stays up: the login read "connected" while every
// command failed.
func (s *Session) watchLoggedOut(gen int) telegram.Middleware {
	return telegram.MiddlewareFunc(func(next tg.Invoker) telegram.InvokeFunc {
		return func(ctx context.Context, in bin.Encoder, out bin.Decoder) error {
			err := next.Invoke(ctx, in, out)
			if err != nil && loggedOut(err) {
				go s.loggedOutLive(gen, err) // not in the caller, which may hold locks
			}
			return err
		}
	})
}

// loggedOutLive ends connection gen, whose session Telegram says is
// over, and says so; no retry, as for a session refused at a connection.
func (s *Session) loggedOutLive(gen int, err error) {
	s.mu.Lock()
	if s.gen != gen || s.stopped {
		s.mu.Unlock()
		return
	}
	s.gen++ // the client's end is not reported again (ended)
	r := s.r
	s.r, s.api = nil, nil
	s.mu.Unlock()
	r.stop()
	s.state(pb.LoginState_LOGIN_STATE_LOGGED_OUT, loggedOutText(err))
}

// retry dials again after delay, unless the connection of gen was
// replaced or stopped meanwhile.
func (s *Session) retry(gen int, delay time.Duration) {
	time.AfterFunc(delay, func() {
		s.mu.Lock()
		again := s.gen == gen && !s.stopped && s.r == nil
		s.mu.Unlock()
		if again {
			s.start(make(chan struct{}))
		}
	})
}

// client is the connected API, or an error saying there is none.
func (s *Session) client() (*tg.Client, *updates.Manager, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.api == nil {
		return nil, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "telegram: not connected")
	}
	return s.api, s.mgr, nil
}

// Disconnect stops the client; the database stays for the next Connect.
func (s *Session) Disconnect(ctx context.Context) error {
	s.typingKeeper().StopAll()
	s.restricts.stopAll()
	if s.bot != nil {
		return s.bot.Disconnect(ctx)
	}
	s.mu.Lock()
	running, st := s.r != nil, s.st
	s.mu.Unlock()
	if running && st != nil {
		// The user's last sends' updates, saved before the manager
		// stops (handover.go).
		s.awaitHanded(ctx, st)
	}
	s.mu.Lock()
	s.stopped = true
	s.gen++
	r := s.r
	s.r, s.api = nil, nil
	s.mu.Unlock()
	r.stop()
	// A client still dialling sees stopped and ends: then nothing uses
	// the database.
	s.running.Wait()
	s.mu.Lock()
	st = s.st
	s.st = nil
	s.mu.Unlock()
	s.peers.use(nil)
	if st != nil {
		// Where each channel's next gap starts (gap.go).
		if err := st.setChannelTops(s.newest.channels()); err != nil {
			s.n.log().Warn("telegram: the newest message of channels not kept", "login", s.login.LoginID, "err", err)
		}
		return st.close()
	}
	return nil
}

// Logout ends the session on Telegram and removes its files.
func (s *Session) Logout(ctx context.Context) error {
	s.typingKeeper().StopAll()
	if s.bot != nil {
		return s.bot.Logout(ctx)
	}
	api, _, err := s.client()
	switch {
	case err == nil:
		if _, err := api.AuthLogOut(ctx); err != nil && !loggedOut(err) {
			s.n.log().Warn("telegram: log out", "login", s.login.LoginID, "err", err)
		}
	case s.login.Dir != "":
		// Not connected: dial with the stored key to end the session
		// on Telegram too, not only here.
		s.logOutOffline(ctx)
	}
	if err := s.Disconnect(ctx); err != nil {
		return err
	}
	if s.login.Dir != "" {
		for _, f := range []string{sessionFile, dbFile, oldMarkerFile, createsFile} {
			if err := os.Remove(filepath.Join(s.login.Dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("telegram: log out: %w", err)
			}
		}
		if err := pollstore.Remove(s.login.Dir); err != nil {
			return fmt.Errorf("telegram: log out: %w", err)
		}
	}
	return nil
}

// chatPeer is the client, its updates manager and the peer of chat, for
// a command in that chat.
func (s *Session) chatPeer(ctx context.Context, chat string) (*tg.Client, *updates.Manager, tg.InputPeerClass, error) {
	api, mgr, err := s.client()
	if err != nil {
		return nil, nil, nil, err
	}
	peer, err := s.inputPeer(ctx, api, chat)
	if err != nil {
		return nil, nil, nil, err
	}
	return api, mgr, peer, nil
}

// inputPeer names a chat for a request. A user or channel the session has
// not seen since it started is looked up in the dialogs once.
func (s *Session) inputPeer(ctx context.Context, api *tg.Client, chat string) (tg.InputPeerClass, error) {
	p, err := s.peers.inputPeer(chat)
	if err == nil {
		return p, nil
	}
	if _, derr := s.dialogs(ctx, api); derr != nil {
		return nil, err
	}
	return s.peers.inputPeer(chat)
}

// logOutOffline ends the session kept in the login's folder on
// Telegram, for a Logout of a login that is not connected.
func (s *Session) logOutOffline(ctx context.Context) {
	if _, err := os.Stat(filepath.Join(s.login.Dir, sessionFile)); err != nil {
		return
	}
	a := s.n.appFor(s.saved)
	if a.ID == 0 {
		return
	}
	r, err := startRunner(ctx, s.n.newClient(a, s.login.Dir, nil, nil), nil)
	if err != nil {
		s.n.log().Warn("telegram: log out: no connection; the session stays open on Telegram until ended there (Settings, Devices)", "login", s.login.LoginID, "err", err)
		return
	}
	defer r.stop()
	if _, err := r.client.API().AuthLogOut(ctx); err != nil && !loggedOut(err) {
		s.n.log().Warn("telegram: log out", "login", s.login.LoginID, "err", err)
	}
}
