package signal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"passerelle.im/passerelle/plugins/signal/rpc"

	"passerelle.im/passerelle/plugins/pollstore"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/typingkeep"
)

// ConnectWait is how long Connect waits for the first subscription before
// it returns anyway (the session goes on trying).
var ConnectWait = 15 * time.Second

// SendWait is how long a command waits for the daemon to come back when
// it is down (restarting) before it fails as unavailable.
var SendWait = 20 * time.Second

// Session is one Signal account's connection to signal-cli.
type Session struct {
	n       *Network
	loginID string
	dir     string
	ids     *identities

	// accMu guards acc, savedNumber, byACI and renamed (ownnumber.go):
	// the account's number changes when the user changes it on the phone.
	accMu sync.Mutex
	acc   Account
	// savedNumber is the number the login's saved state names (as
	// last told to the host).
	savedNumber string
	// byACI: signal-cli no longer knows the account by its number
	// (renamed before the session subscribed) and is asked by its ACI.
	byACI bool
	// renamed is closed when the account takes a new number.
	renamed chan struct{}
	// candidates are numbers notifications on the subscription named
	// that may be the account's new one, candidateSeen closed when one
	// comes, others those found to be other accounts' (ownnumber.go).
	candidates    []candidate
	candidateSeen chan struct{}
	others        map[string]bool
	// aciListed are the accounts signal-cli listed before the session
	// subscribed by the ACI: the account's new number is one of them.
	aciListed map[string]bool
	// verifyMu: one verifyRename at a time.
	verifyMu sync.Mutex

	mu     sync.Mutex
	c      *rpc.Client
	ready  chan struct{} // closed once subscribed (or refused) after Connect
	rdOnce *sync.Once
	up     bool // subscribed on the current connection
	sub    int  // the subscription's ID, while up
	gone   bool // refused for good (account unknown to signal-cli)
	// unlinked says why Signal no longer knows the device ("" while it
	// does): the login is to do again, commands are refused at once.
	unlinked string
	// subMu is held while subscribing (onUp): one subscription at a
	// time, so that a connection gets one, however many onUp run.
	subMu sync.Mutex
	// stateMu orders the connected state told at a subscription and a
	// disconnection's reason told again (watchDown): the latter never
	// comes after the former. watching: a watchDown runs.
	stateMu  sync.Mutex
	watching bool
	// hung: the subscribed connection's signal-cli was told as not
	// answering (liveness.go), and has not answered since.
	hung   bool
	groups map[string]*group // by chat ID
	// groupReads numbers the listGroups calls (groups.go's remember).
	groupReads atomic.Uint64
	// blockedTold are the groups blocked on the phone whose removal the
	// host was told this session, by chat ID (groups.go).
	blockedTold map[string]bool
	// blockedGroups are the groups blocked on the phone, by chat ID, as
	// signal-cli last listed them (groups.go's listGroups): a client
	// that kept such a room sends nothing there.
	blockedGroups map[string]bool
	// blockedUsers are the people blocked on the phone, by number and
	// ACI, as signal-cli last listed them (contacts.go).
	blockedUsers map[string]bool
	// acceptedChats are the direct chats known to be no message
	// request (messagerequest.go).
	acceptedChats map[string]bool
	// requestsNoticed are the direct chats whose message request was
	// looked at for its notice this session (messagerequest.go), under mu.
	requestsNoticed map[string]bool
	// pictures are the groups' pictures' hashes as last seen, by chat ID
	// ("" none): a group update says nothing of its picture (avatars.go).
	pictures map[string]string
	chats    *msgChats    // recent messages' timestamps -> chat (and original of an edit)
	edited   *editedTexts // the newest text of each message edited, for quotes (edittexts.go)
	mine     *myReactions // the user's reaction per message timestamp
	// earlier: reactions to messages the plugin never had, shown as
	// notices (earlierreactions.go).
	earlier *earlierReactions
	polls   pollCache       // polls of the messages seen, for their votes (polls.go)
	pins    *pinList        // the messages pinned in each chat (pins.go)
	typing  map[string]bool // chats where the user was last said typing
	repeats typingkeep.Lazy // typing.go
	// untrusted: contacts whose changed safety number was told and none
	// of whose messages was read since, kept in the login's folder
	// (safety.go).
	untrusted *sdk.ToldSets
	// untrustedNames: the names of their notices on their way
	// (untrustednames.go).
	untrustedNames *untrustedNames
	// untrustedTelling: contacts whose notice is on its way to the host,
	// not yet noted in untrusted, under mu (safety.go).
	untrustedTelling onTheWay[struct{}]
	// challengeTold is the captcha challenge last told, under mu
	// (challenge.go).
	challengeTold string
	// exitsTold is how many of the daemon's exits were told, under mu
	// (restart.go).
	exitsTold int
	// invited: groups whose invitation of the user was told (invited.go).
	invited *invitations
	// requestsTold: the requests to join groups told (joinrequests.go).
	requestsTold *sdk.ToldSets
	// requestsTelling: the requests to join whose notice is on its way
	// to the host, not yet noted in requestsTold, under mu; requestsMu
	// makes each note of one a single read and write of its group's set.
	requestsTelling onTheWay[struct{}]
	requestsMu      sync.Mutex
	// requestTimes name the requests to join not yet noted told, under
	// requestsMu (joinrequests.go).
	requestTimes *requestTimes
	// requestsRead are the requests to join as last read, by chat, under
	// requestsMu: what a request's note of itself told keeps beside it.
	requestsRead map[string]map[string]bool
	marks        *readMarks // the newest message marked read, by chat (MarkRead; readmarks.go)
	calls        *ringing   // calls shown ringing (calls.go)
	swept        time.Time  // when the stale uploads were last removed (media.go)
	// profiles are the contacts' names and pictures as last told
	// (contacts.go).
	profiles profilesTold
	// timers are the direct chats' disappearing messages timers as
	// last read (directtimers.go).
	timers directTimers
	// names are the group members' nicks (membernames.go).
	names memberNames
	// inbox keeps the envelopes read and not yet handled (inbox.go).
	inbox *inbox
	// dedup drops the second copy of an envelope of the account that
	// came on another session's subscription too (strays.go).
	dedup strayDedup
	// told are the groups' timers, settings and invitations as last
	// told in their rooms (groupstold.go).
	told *groupsTold
	// revs are the groups' revisions of the last update handled, for
	// those known (revisions.go).
	revs *groupRevisions
	// changing are the groups whose own change is under way, kept
	// across a crash (groupschanging.go).
	changing *groupsChanging
	// receipts are the receipts told last: one per message, kind and
	// recipient, whichever of its devices sent it (receiptsonce.go).
	receipts receiptsTold
	// receiptRetries are the marks a rate limit refused, sent again
	// later (receiptretry.go).
	receiptRetries receiptRetries
	// pendingReceipts are those marks, kept in the login's folder
	// (pendingreceipts.go).
	pendingReceipts *pendingReceipts
	// authorSince: messages from this Unix ms on have author IDs
	// (msgids.go), those before their bare timestamp.
	authorSince int64
	// unfinished counts what an envelope's handling could not finish
	// (an event not journalled, a changed group signal-cli did not
	// give): an envelope during which it grew stays in the inbox, to be
	// handled again at the next start.
	unfinished atomic.Uint64
}

func newSession(n *Network, login sdk.LoginInfo, acc Account) *Session {
	log := n.host.Logger().With("login", login.LoginID)
	s := &Session{n: n, loginID: login.LoginID, acc: acc, savedNumber: acc.Number, renamed: make(chan struct{}), candidateSeen: make(chan struct{}), others: map[string]bool{}, dir: login.Dir, ids: loadIdentities(login.Dir, log),
		chats: loadMsgChats(login.Dir, log), edited: loadEditedTexts(login.Dir, log), mine: loadMyReactions(login.Dir, log), earlier: loadEarlierReactions(login.Dir, log), pins: loadPins(login.Dir, log),
		groups: map[string]*group{}, blockedTold: map[string]bool{}, blockedGroups: map[string]bool{}, pictures: map[string]string{}, typing: map[string]bool{}, untrusted: loadUntrusted(login.Dir, log), untrustedNames: loadUntrustedNames(login.Dir, log),
		marks: loadReadMarks(login.Dir, log), calls: loadRinging(login.Dir, log), authorSince: loadAuthorSince(login.Dir, log)}
	s.invited = loadInvitations(login.Dir, log)
	s.requestsTold = loadRequestsTold(login.Dir, log)
	s.requestTimes = loadRequestTimes(login.Dir, log)
	s.polls.load(login.Dir, log)
	s.names.load(login.Dir, log)                     // membernames.go
	s.inbox = loadReceived(login.Dir, log, &s.dedup) // dedupfile.go
	s.revs = loadGroupRevisions(login.Dir, log)
	s.told = loadGroupsTold(login.Dir, log)
	s.changing = loadGroupsChanging(login.Dir, log)
	s.pendingReceipts = loadPendingReceipts(login.Dir, log)
	s.seenExits() // restart.go
	return s
}

// selfID is the user's own user ID.
func (s *Session) selfID() string { return s.account().ID() }

// Connect dials the daemon and subscribes to the account's messages; it
// returns once subscribed or refused, at most ConnectWait later. Progress
// and trouble are login state events. On a connected session it does
// nothing.
func (s *Session) Connect(ctx context.Context) error {
	s.mu.Lock()
	if s.c != nil {
		s.mu.Unlock()
		return nil
	}
	if strays := s.n.liveTaking(s); len(strays) > 0 { // strays.go
		s.adoptKept(strays)
	}
	s.ready, s.rdOnce = make(chan struct{}), &sync.Once{}
	ready := s.ready
	s.gone, s.unlinked = false, ""
	s.state(pb.LoginState_LOGIN_STATE_CONNECTING, "connecting to signal-cli")
	// Set under the lock: Up, in its own goroutine, reads it.
	// The envelopes a session before read and did not handle go first.
	// A file signal-cli answers (getAttachment) is decoded into the
	// uploads folder as it is read, never held whole.
	os.MkdirAll(s.uploadsDir(), 0o700)
	s.c = rpc.Dial(s.n.socket(), rpc.Options{Notify: s.onNotify, Received: s.received, Backlog: s.inbox.backlog(),
		Up: s.onUp, Down: s.onDown, SpoolDir: s.uploadsDir(), MaxFile: maxAttachmentBytes})
	go s.watchLive(s.c) // liveness.go
	s.mu.Unlock()
	t := time.NewTimer(ConnectWait)
	defer t.Stop()
	select {
	case <-ready:
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

func (s *Session) isReady() {
	s.mu.Lock()
	once, ready := s.rdOnce, s.ready
	s.mu.Unlock()
	if once != nil {
		once.Do(func() { close(ready) })
	}
}

// client is the session's connection, or nil.
func (s *Session) client() *rpc.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c
}

// onUp subscribes on a new connection (the first, or after the daemon
// restarted): signal-cli in manual receive mode fetches nothing from
// Signal for the account until then, so nothing is lost while it is down.
// A subscription refused for a passing trouble is asked again, with
// backoff, as long as the client is the session's: the connection stays
// up, and no other onUp would come to subscribe.
func (s *Session) onUp() {
	c := s.client()
	if c == nil {
		return
	}
	delay := SubscribeRetry
	for failed := false; ; failed = true {
		done, conn := s.trySubscribe(c, !failed)
		if conn != 0 {
			// Outside subMu: these calls wait for a daemon gone
			// meanwhile (SendWait), or a slow one, which the next
			// connection's subscription must not; the login is ready
			// meanwhile.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			s.tellRestart(ctx)   // restart.go
			s.announceMoves(ctx) // identity.go
			s.refreshGroups(ctx)
			cancel()
			s.ringOutAll() // calls.go
			ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
			s.learnACI(ctx, c, conn) // ownnumber.go
			cancel()
			go s.resumeReceipts() // receiptretry.go
		}
		if done {
			return
		}
		// Not held meanwhile: a new connection's onUp subscribes at
		// once, and this one then finds it done.
		select {
		case <-c.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, MaxSubscribeRetry)
	}
}

// trySubscribe subscribes on c's connection unless c is no longer the
// session's or is subscribed already; done is false when to try again,
// fresh the connection's number when it subscribed (0 otherwise).
func (s *Session) trySubscribe(c *rpc.Client, tell bool) (done bool, fresh uint64) {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	s.mu.Lock()
	current, up := s.c == c, s.up
	s.mu.Unlock()
	if !current || up {
		return true, 0 // another client, or subscribed already (by an onUp before)
	}
	conn := c.Conn()
	if conn == 0 {
		return false, 0
	}
	switch s.subscribe(c, conn, tell) {
	case subscribed:
		return true, conn
	case refused:
		return true, 0
	}
	return false, 0
}

// SubscribeRetry and MaxSubscribeRetry pace the subscriptions asked again
// after signal-cli refused one for a passing trouble.
var (
	SubscribeRetry    = 500 * time.Millisecond
	MaxSubscribeRetry = 30 * time.Second
)

type subscription int

const (
	subscribed subscription = iota
	refused                 // for good, or until the next connection
	failedSub               // to ask again
)

// subscribe asks signal-cli for the account's messages on c's connection
// numbered conn; tell says a failure to subscribe again is told as a
// login state (the first of a row).
func (s *Session) subscribe(c *rpc.Client, conn uint64, tell bool) subscription {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var sub int
	err := c.CallOn(ctx, conn, "subscribeReceive", map[string]any{"account": s.rpcAccount()}, &sub)
	var rerr *rpc.Error
	renamed := false
	if errors.As(err, &rerr) && rerr.Code == rpc.CodeInvalidParams && s.renamedOnDisk() {
		// Renamed while the plugin did not subscribe, as signal-cli's
		// accounts.json says (accountsfile.go).
		renamed = true
		err = c.CallOn(ctx, conn, "subscribeReceive", map[string]any{"account": s.rpcAccount()}, &sub)
	}
	if errors.As(err, &rerr) && rerr.Code == rpc.CodeInvalidParams && s.tryByACI() {
		// Renamed, perhaps (ownnumber.go): signal-cli 0.14.6 and later
		// know an account by its ACI too.
		var accs []account
		if err = c.CallOn(ctx, conn, "listAccounts", nil, &accs); err == nil {
			s.listedBeforeACI(accs)
			err = c.CallOn(ctx, conn, "subscribeReceive", map[string]any{"account": s.rpcAccount()}, &sub)
		}
		if err != nil {
			s.notByACI()
		}
	}
	switch {
	case err == nil:
	case errors.As(err, &rerr) && rerr.Code == rpc.CodeInvalidParams:
		s.accountGone(c, rerr.Message)
		return refused
	case errors.As(err, &rerr) && strings.Contains(strings.ToLower(rerr.Message), "not registered"):
		why := fmt.Sprintf("Signal no longer knows this device for %s (%s): link it again", s.account().ID(), rerr.Message)
		s.mu.Lock()
		s.unlinked = why
		s.mu.Unlock()
		s.state(pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, why)
		s.isReady()
		return refused
	default:
		if tell {
			s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, "could not subscribe to Signal messages: "+err.Error()+"; trying again")
		}
		return failedSub
	}
	s.stateMu.Lock()
	s.mu.Lock()
	if c.Conn() != conn {
		// The connection it was asked on is gone (its onDown came or
		// comes): the next one is subscribed to in turn.
		s.mu.Unlock()
		s.stateMu.Unlock()
		return failedSub
	}
	s.up, s.sub, s.unlinked, s.hung = true, sub, "", false
	s.mu.Unlock()
	s.state(pb.LoginState_LOGIN_STATE_CONNECTED, s.connectedText())
	s.stateMu.Unlock()
	if renamed {
		s.tellRenamed() // ownnumber.go
	}
	s.isReady()
	return subscribed
}

// accountGone ends the session when signal-cli has no account of it
// (why: signal-cli's words): its data removed, or its device unlinked
// from the phone, which signal-cli learns from Signal while it runs and
// then drops the account, ending its subscription without a word.
// Nothing to retry: the connection goes, the login is told to be done
// again, and the next Connect (a new login of the account) dials again.
func (s *Session) accountGone(c *rpc.Client, why string) {
	s.mu.Lock()
	told := s.gone
	s.gone, s.up = true, false
	if s.c == c {
		s.c = nil
	}
	s.mu.Unlock()
	go c.Close()
	if !told {
		s.state(pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS, fmt.Sprintf("signal-cli has no account %s (%s): it was unlinked or its data removed; log in again", s.account().ID(), why))
	}
	s.isReady()
}

// accountMissing reports whether err is signal-cli's answer to a request
// naming an account it does not have, with its words.
func accountMissing(err error) (string, bool) {
	var rerr *rpc.Error
	if errors.As(err, &rerr) && rerr.Code == rpc.CodeInvalidParams && rerr.Message == "Specified account does not exist" {
		return rerr.Message, true
	}
	return "", false
}

// onDown reports the daemon gone; the client dials again by itself.
func (s *Session) onDown(err error) {
	s.mu.Lock()
	c := s.c
	s.up = false
	s.mu.Unlock()
	if c == nil {
		return
	}
	var changed <-chan struct{}
	if s.n.daemon != nil {
		changed = s.n.daemon.problemChanged() // before the problem is read: no change missed
	}
	s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, "Signal is unreachable: "+s.n.daemonProblem()+" ("+err.Error()+"); reconnecting")
	s.isReady() // Connect need not wait: Signal keeps the messages meanwhile
	if changed != nil {
		s.watchDown(c, changed)
	}
}

// watchDown tells the login's state again, with the supervised daemon's
// new trouble, each time that changes while c, the session's
// connection, is down: the connection drops as signal-cli dies, before
// the supervisor learns why (its exit status, its last words), and a
// daemon that cannot start again would otherwise leave the login
// saying only that it was starting, or why it died before. One runs
// at a time; it ends once the session is up again, or c closed.
func (s *Session) watchDown(c *rpc.Client, changed <-chan struct{}) {
	s.mu.Lock()
	if s.watching {
		s.mu.Unlock()
		return
	}
	s.watching = true
	s.mu.Unlock()
	go func() {
		defer func() {
			s.mu.Lock()
			s.watching = false
			s.mu.Unlock()
		}()
		for {
			select {
			case <-changed:
			case <-c.Done():
				return
			}
			changed = s.n.daemon.problemChanged()
			s.stateMu.Lock()
			s.mu.Lock()
			down := s.c == c && !s.up && !s.gone
			s.mu.Unlock()
			if down {
				s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, "Signal is unreachable: "+s.n.daemonProblem()+"; reconnecting")
			}
			s.stateMu.Unlock()
			if !down {
				return
			}
		}
	}()
}

// state emits a login state event.
func (s *Session) state(st pb.LoginState, msg string) {
	s.n.host.Emit(&pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: st, Message: msg}}})
}

// DrainWait bounds how long Disconnect waits for the envelopes signal-cli
// sent before it ended the subscription to be handled.
var DrainWait = 10 * time.Second

// Disconnect ends the connection to the daemon; the account stays in
// signal-cli. signal-cli hands each envelope over once: the subscription
// ends first, and the envelopes it sent before are handled before the
// connection goes (a relogin, an admin's disconnect, would lose them).
func (s *Session) Disconnect(ctx context.Context) error {
	s.n.live(s, false)
	s.typingKeeper().StopAll()
	s.mu.Lock()
	c, up, sub := s.c, s.up, s.sub
	s.mu.Unlock()
	if c != nil && up {
		dctx, cancel := context.WithTimeout(ctx, DrainWait)
		err := c.Call(dctx, "unsubscribeReceive", map[string]any{"account": s.rpcAccount(), "subscription": sub}, nil)
		if err == nil {
			err = c.Drain(dctx)
		}
		cancel()
		if err != nil {
			s.n.host.Logger().Warn("signal: the envelopes received before the disconnection may not all be handled", "login", s.loginID, "err", err)
		}
	}
	s.closeConn()
	return nil
}

// closeConn ends the connection to the daemon at once. The read marks
// waiting to be made again end with it (receiptretry.go): the next
// subscription makes them again from the login's folder. Before, they
// went on across the next connection.
func (s *Session) closeConn() {
	s.mu.Lock()
	c := s.c
	s.c = nil
	s.up = false
	s.mu.Unlock()
	s.receiptRetries.dropAll()
	if c != nil {
		c.Close()
	}
}

// Logout ends the login. An account this plugin linked is unregistered
// (the device stops receiving the account's messages) and its data
// deleted from signal-cli; Signal lets only the primary device remove a
// linked device from the account's list, so the phone still shows it
// until the user removes it there. An account the admin registered or
// linked in signal-cli (the "existing" flow) is left as it is: it is the
// admin's, and unregistering a primary device would take the number off
// Signal.
func (s *Session) Logout(ctx context.Context) error {
	s.n.live(s, false)
	s.n.dropStrays(s)
	s.typingKeeper().StopAll()
	if !s.account().Linked && !s.n.linked(s.account().ID()) {
		s.n.host.Logger().Info("signal: logout leaves the account in signal-cli: passerelle did not link it", "login", s.loginID)
		s.Disconnect(ctx)
		return s.removeLocal()
	}
	c := s.client()
	if c == nil {
		var err error
		if c, err = s.n.dialDaemon(ctx, rpc.Options{}); err != nil {
			return err
		}
	}
	// Closed, not drained: the account is unregistered and deleted.
	defer s.closeConn()
	if c != s.client() {
		defer c.Close()
	}
	account := map[string]any{"account": s.rpcAccount()}
	if err := c.Call(ctx, "unregister", account, nil); err != nil {
		var rerr *rpc.Error
		if errors.As(err, &rerr) && rerr.Code == rpc.CodeInvalidParams {
			// signal-cli has no such account: nothing to do there.
			s.n.setLinked(s.account().ID(), false)
			return s.removeLocal()
		}
		s.n.host.Logger().Warn("signal: unregister failed; deleting the local data anyway", "login", s.loginID, "err", err)
	}
	if err := c.Call(ctx, "deleteLocalAccountData", map[string]any{"account": s.rpcAccount(), "ignoreRegistered": true}, nil); err != nil {
		return callError("could not delete the account's data in signal-cli", err, s.n)
	}
	s.n.setLinked(s.account().ID(), false)
	return s.removeLocal()
}

// removeLocal removes what the plugin kept in the login's folder (the
// host removes the folder too).
func (s *Session) removeLocal() error {
	s.pendingReceipts.stop() // before its file goes: a mark answered later writes it no more
	if s.dir == "" {
		return nil
	}
	for _, name := range []string{"identities.json", msgChatsFile, msgChatsFile + ".tmp",
		myReactionsFile, myReactionsFile + ".tmp", ringingFile, ringingFile + ".tmp", pinnedFile, pinnedFile + ".tmp", inboxFile, msgIDsFile, readMarksFile, readMarksFile + ".tmp", pendingReceiptsFile, pendingReceiptsFile + ".tmp", invitationsFile, "uploads", pollstore.DirName} {
		if err := os.RemoveAll(filepath.Join(s.dir, name)); err != nil {
			return fmt.Errorf("signal: %w", err)
		}
	}
	return nil
}

// call makes a request for the account, waiting up to SendWait for the
// daemon when it is down; signal-cli's errors become the contract's.
func (s *Session) call(ctx context.Context, what, method string, params map[string]any, result any) error {
	return s.mapError(what, s.callRaw(ctx, what, method, params, result))
}

// mapError turns an error of callRaw into the contract's (one already
// the contract's stays).
func (s *Session) mapError(what string, err error) error {
	var se *sdk.Error
	if err == nil || errors.As(err, &se) {
		return err
	}
	return callError(what, err, s.n)
}

// callRaw is call with signal-cli's answer as it came: an *rpc.Error (or
// the connection's error) for a caller that reads it, an *sdk.Error when
// the daemon could not be asked.
func (s *Session) callRaw(ctx context.Context, what, method string, params map[string]any, result any) error {
	return s.callRawWaiting(ctx, what, SendWait, method, params, result)
}

// callRawWaiting is callRaw waiting up to wait for a daemon that is down
// (callWaiting).
func (s *Session) callRawWaiting(ctx context.Context, what string, wait time.Duration, method string, params map[string]any, result any) error {
	if params == nil {
		params = map[string]any{}
	}
	return s.callWaiting(ctx, what, wait, func(c *rpc.Client) error {
		params["account"] = s.rpcAccount() // anew at each try: the account may have been renamed
		return c.Call(ctx, method, params, result)
	})
}

// callWith is callRaw of any call f makes on the connection.
func (s *Session) callWith(ctx context.Context, what string, f func(c *rpc.Client) error) error {
	return s.callWaiting(ctx, what, SendWait, f)
}

// callWaiting is callWith waiting up to wait for a daemon that is down
// (none: asked only if up).
func (s *Session) callWaiting(ctx context.Context, what string, wait time.Duration, f func(c *rpc.Client) error) error {
	deadline := time.Now().Add(wait)
	for {
		s.mu.Lock()
		c, up, gone, unlinked := s.c, s.up, s.gone, s.unlinked
		s.mu.Unlock()
		if gone {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "%s: signal-cli no longer has the account %s: log in again", what, s.account().ID())
		}
		if unlinked != "" && !up {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "%s: %s", what, unlinked)
		}
		if c == nil {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s: not connected to Signal", what)
		}
		var err error
		if up {
			asked := s.rpcAccount()
			err = f(c)
			if err == nil {
				return nil
			}
			if _, ok := accountMissing(err); ok && s.renamedFrom(asked) {
				continue // asked by the number it had: again by the new one
			}
			if why, ok := accountMissing(err); ok {
				// Dropped by signal-cli while subscribed (the device
				// unlinked): the session would stay connected, deaf.
				s.accountGone(c, why)
			}
			s.mu.Lock()
			gone = s.gone
			s.mu.Unlock()
			if gone {
				// Also a call cut as another found the account gone
				// and closed the connection: nothing went.
				return sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "%s: signal-cli no longer has the account %s (unlinked from the phone, or its data removed): log in again", what, s.account().ID())
			}
			if !errors.Is(err, rpc.ErrNotConnected) {
				return err
			}
		}
		if time.Now().After(deadline) {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s: Signal is not available: %s", what, s.n.daemonProblem())
		}
		select {
		case <-ctx.Done():
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s: %v", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// onNotify handles what the daemon sends unasked: received envelopes.
// An envelope leaves the inbox once handled, unless an event of it could
// not be journalled: it is then handled again at the next start.
func (s *Session) onNotify(n rpc.Note) {
	if n.Method != "receive" {
		return
	}
	handle, k := s.dedup.own(n, s.inbox.isAdopted(n.Ref)) // strays.go
	if !handle {
		s.inbox.handled(n.Ref)
		return
	}
	fails := s.unfinished.Load()
	ok, held := s.receiveSafely(n)
	if !ok {
		// Kept, it would end every start of the plugin the same way.
		s.dedup.keep(k)
		s.inbox.handledNoted(n.Ref, k)
		return
	}
	if !held && s.unfinished.Load() == fails {
		s.dedup.keep(k) // before it leaves the inbox: a copy may come after
		s.inbox.handledNoted(n.Ref, k)
	}
}

// receiveSafely is receiveNote, false when handling the envelope
// panicked: it is logged and dropped, and the plugin goes on.
func (s *Session) receiveSafely(n rpc.Note) (ok, held bool) {
	defer func() {
		if r := recover(); r != nil {
			s.n.host.Logger().Error("signal: an envelope could not be handled; dropped", "login", s.loginID, "panic", r, "stack", string(debug.Stack()))
			ok = false
			s.tellDroppedSafely(n.Params) // dropped.go
		}
	}()
	return true, s.receiveNote(n.Params, n.Ref)
}

// receiveNote handles one "receive" notification's params, ref in the
// inbox; held reports that it stays pending there, kept for another
// login (strays.go).
func (s *Session) receiveNote(params json.RawMessage, ref uint64) (held bool) {
	// Manual receive mode wraps the envelope in a subscription answer;
	// automatic mode does not.
	var p struct {
		Subscription *int            `json:"subscription"`
		Result       json.RawMessage `json:"result"`
		Envelope     json.RawMessage `json:"envelope"`
		Account      string          `json:"account"`
		// Exception: why signal-cli could not decrypt the envelope,
		// which then has no content.
		Exception *struct {
			Type string `json:"type"`
		} `json:"exception"`
	}
	if err := json.Unmarshal(params, &p); err != nil {
		s.n.host.Logger().Warn("signal: a receive notification cannot be read", "err", err)
		s.tellDropped(params) // dropped.go
		return
	}
	if len(p.Result) > 0 {
		raw := p.Result
		p.Envelope, p.Account = nil, ""
		if err := json.Unmarshal(raw, &p); err != nil {
			s.n.host.Logger().Warn("signal: a receive notification cannot be read", "err", err)
			s.tellDropped(params)
			return
		}
	}
	var env envelope
	if err := json.Unmarshal(p.Envelope, &env); err != nil {
		s.n.host.Logger().Warn("signal: an envelope cannot be read", "err", err)
		if p.Account != "" && !s.isSelfNumber(p.Account) {
			// Another account's, on a shared connection (strays.go):
			// its session tells its user, whose message it was.
			return s.n.stray(s, p.Account, params, ref)
		}
		s.tellDropped(params)
		return
	}
	markUnknown(p.Envelope, &env) // unknowncontent.go
	if p.Subscription != nil && strings.HasPrefix(p.Account, "+") && !s.isSelfNumber(p.Account) && !s.isOther(p.Account) {
		// The account's new number, or another account's envelope
		// (ownnumber.go).
		s.noteCandidate(p.Account, env, false)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		s.verifyRename(ctx)
		cancel()
	}
	if p.Account != "" && !s.isSelfNumber(p.Account) {
		// Another account's, on a shared connection: its session's
		// (strays.go).
		return s.n.stray(s, p.Account, params, ref)
	}
	s.tellRenamed()
	if p.Exception != nil {
		if p.Exception.Type == untrustedType {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s.untrustedIdentity(ctx, env)
		}
		// Other failures to decrypt: signal-cli asks the sender to
		// send again.
		return false
	}
	s.receive(env)
	return false
}

// noteChat remembers which chat a message is in, so that receipts and
// read syncs (which name only timestamps) find it, after a restart too:
// it is on disk when noteChat returns.
func (s *Session) noteChat(ts int64, chatID, author string) { s.chats.note(ts, chatID, author) }

// wrote reports whether the user author wrote the message of timestamp
// ts (an original's), as far as the plugin knows: Signal applies a
// remote delete or an edit only to the message of the same author, and
// anyone may name any timestamp in one. A message of ts noted as
// author's is; one noted only as another's is not; a message the
// plugin did not note (older than the map, or noted before authors
// were) is taken as the author's.
func (s *Session) wrote(ts int64, author string) bool {
	who := s.who(author)
	as := s.chats.authors(ts)
	if len(as) == 0 {
		return true
	}
	for _, a := range as {
		if a == "" || slices.Contains(who, a) {
			return true
		}
		if isUUID(a) && slices.Contains(who, s.ids.lookup("", a, s.account())) {
			return true // the ACI noted, now their number
		}
	}
	return false
}

// chatAt is the chat of the message of timestamp ts by who ("" when unknown),
// as it is named now: a direct chat noted by a contact's ACI is their
// number once that became known (the contact moved to it, identity.go),
// not the chat the gateway moved away from.
func (s *Session) chatAt(ts int64, who ...string) string {
	chat := s.chats.at(ts, who...)
	if isUUID(chat) {
		return s.ids.lookup("", chat, s.account())
	}
	return chat
}
