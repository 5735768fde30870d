package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/typingkeep"
)

// Session is one login: one linked device and its connection.
type Session struct {
	n     *Network
	login sdk.LoginInfo
	log   *slog.Logger
	d     *device // d.dev nil: the folder holds no paired device
	ids   *identities
	conv  inbound
	// invites are the private invitations received (invited.go).
	invites *pendingInvites
	// albums are the quotes of albums sent as replies, until their
	// first item comes (album.go).
	albums albumReplies
	// channels are the names of the WhatsApp channels the user follows
	// (channels.go).
	channels channelNames
	// seen is the newest post shown of each channel, and the catch-up of
	// those made while away (channelcatchup.go).
	seen *channelSeen
	// typing repeats the user's composing while they compose (typing.go).
	typing typingkeep.Lazy
	// metaTimesSince is when this version first ran for the login
	// (metatimes.go): a meta without a time is older.
	metaTimesSince time.Time

	// hookMu guards the session's whatsmeow handler. It is not s.mu:
	// whatsmeow adds and removes handlers under the lock its dispatch
	// holds while a handler runs, and the handler takes s.mu, so doing
	// either under s.mu deadlocks with an event being handled.
	hookMu  sync.Mutex
	handler uint32
	hooked  bool

	mu        sync.Mutex
	running   bool          // between Connect and Disconnect
	stop      chan struct{} // closed by Disconnect: ends retries
	available bool          // the user is available: presences subscribed
	// presenceOwed: the user is available, but WhatsApp had not synced
	// the account's name that a presence carries (pushNameKnown).
	presenceOwed bool
	// subscribed is the contacts whose presence was asked for on this
	// connection while the user is available: each once (a new
	// connection, or the user unavailable, starts it afresh).
	subscribed map[types.JID]bool
	// subscribing runs one subscribeContacts at a time, so that two
	// callers (the address book's sync, the presence kept for the
	// account's name, a new connection) do not both ask for a contact.
	subscribing sync.Mutex
	// presenceWork counts the presences and subscriptions sent off
	// WhatsApp's event loop (tests wait for it).
	presenceWork sync.WaitGroup
	// presenceMu orders the user's presences sent: the one SetPresence
	// sends is not followed by an older one (presentUnavailable).
	presenceMu sync.Mutex
	// shown is the login state last said, and its message: an action
	// that fails for want of a connection says why (sendErr).
	shown shownState
	// permanent names the event that ended the connection for good
	// (logged out, replaced, banned, outdated): no more retries.
	permanent string
	// refusedWait is the wait before reconnecting after the next
	// refusal of the connection (reconnectLater); 0 = firstRetry.
	refusedWait time.Duration
	// refusals counts the refusals in a row with a code unknown
	// (connectRefused); a connection accepted starts it again.
	refusals int
	groups   map[types.JID]*types.GroupInfo

	uploads uploads
	// rejected are the requests to join rejected from a room whose
	// notice has not come, by group and requester, and when
	// (joinrequests.go).
	rejected map[string]*rejection
	// onWA is the numbers found on WhatsApp this run (onwhatsapp.go).
	onWA onWhatsApp
	// retries are the downloads waiting for the phone to upload a file
	// again, by message ID (mediaretry.go).
	retries map[types.MessageID]chan *events.MediaRetry
	hist    *historyState
	lost    *lostParts  // history lost, until told (historylost.go)
	polls   pollCache   // polls.go
	calls   *calls      // callstore.go
	timers  *timers     // disappearing.go
	pins    *pinStore   // pinstate.go
	unread  unreadMarks // readmarks.go
	// codeChanges are the contacts' security code changes said (identitychange.go).
	codeChanges identityChanges
}

var (
	_ sdk.Editor             = (*Session)(nil)
	_ sdk.Reactor            = (*Session)(nil)
	_ sdk.Retractor          = (*Session)(nil)
	_ sdk.ReadMarker         = (*Session)(nil)
	_ sdk.Typer              = (*Session)(nil)
	_ sdk.PresenceSetter     = (*Session)(nil)
	_ sdk.IdentifierResolver = (*Session)(nil)
	_ sdk.ContactLister      = (*Session)(nil)
	_ sdk.ChatInfoer         = (*Session)(nil)
	_ sdk.ChatLister         = (*Session)(nil)
	_ sdk.Leaver             = (*Session)(nil)
	_ sdk.TopicSetter        = (*Session)(nil)
	_ sdk.ChatNamer          = (*Session)(nil)
	_ sdk.ChatAvatarSetter   = (*Session)(nil)
	_ sdk.Inviter            = (*Session)(nil)
	_ sdk.Kicker             = (*Session)(nil)
	_ sdk.RoleSetter         = (*Session)(nil)
	_ sdk.MediaDownloader    = (*Session)(nil)
	_ sdk.MediaUploader      = (*Session)(nil)
	_ sdk.Backfiller         = (*Session)(nil)
	_ sdk.ChatLimiter        = (*Session)(nil)
	_ sdk.UserInfoer         = (*Session)(nil)
)

func newSession(n *Network, login sdk.LoginInfo, d *device) *Session {
	if d == nil {
		d = &device{}
	}
	if d.dev == nil {
		d.cli = noDevice{}
	}
	s := &Session{n: n, login: login, log: n.log.With("login", login.LoginID), d: d, groups: map[types.JID]*types.GroupInfo{}}
	s.uploads.dir = n.dataDir
	s.ids = newIdentities(s.lidStore(), login.Dir, s.identityMoved, s.log)
	s.conv = inbound{ids: s.ids, self: login.LoginID, domain: n.domain, heads: &replyHeads{}}
	s.lost = newLostParts(login.Dir, s.log)
	s.hist = newHistoryState(login.Dir, s.log, s.lost)
	s.timers = newTimers(login.Dir, s.log)
	s.seen = newChannelSeen(login.Dir, s.log)
	s.pins = newPinStore(login.Dir, s.log)
	s.calls = newCalls(login.Dir, s.log)
	s.invites = newPendingInvites(login.Dir, s.log)
	s.codeChanges.log = s.log // identitychange.go
	if login.Dir != "" {
		s.codeChanges.path = filepath.Join(login.Dir, identityChangesFile)
	}
	s.polls.load(login.Dir, s.log, s.ids.phoneID)
	s.unread.open(login.Dir, s.log) // readmarkstore.go
	s.metaTimesSince = loadMetaTimesSince(login.Dir, s.log)
	return s
}

// emit sends an event of this login.
func (s *Session) emit(ev *pb.Event) {
	ev.LoginId = s.login.LoginID
	s.n.host.Emit(ev)
}

// emitDurable sends an event and returns once it is safe on disk: what
// WhatsApp acknowledges (a message) is acknowledged only after that,
// since whatsmeow sends its receipt once the handler returns.
func (s *Session) emitDurable(ev *pb.Event) {
	if err := s.emitDurableErr(ev); err != nil {
		s.log.Warn("event not yet durable", "err", err)
	}
}

// emitDurableErr is emitDurable, saying whether the event is durable
// (the gateway confirmed it, or the SDK's journal holds it): what is
// kept of the event's far side (a position moved past it, a note
// dropped) may change only then.
func (s *Session) emitDurableErr(ev *pb.Event) error {
	ev.LoginId = s.login.LoginID
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s.n.host.EmitDurable(ctx, ev)
}

func (s *Session) state(st pb.LoginState, msg string) {
	s.shown.set(st, msg)
	s.emit(&pb.Event{Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: st, Message: msg}}})
}

// ownJID is the user's phone JID ("" before pairing).
func (s *Session) ownJID() types.JID {
	if s.d == nil || s.d.dev == nil || s.d.dev.ID == nil {
		return types.EmptyJID
	}
	return s.d.dev.ID.ToNonAD()
}

// Connect starts the connection; its progress comes as login states.
// whatsmeow reconnects by itself, with backoff, once connected; a first
// attempt that fails is retried here, with backoff too.
func (s *Session) Connect(ctx context.Context) error {
	if s.d.dev == nil || s.d.dev.ID == nil {
		// Never paired here, or unlinked (whatsmeow then clears the
		// device's ID): connecting would start a new pairing instead.
		s.state(pb.LoginState_LOGIN_STATE_LOGGED_OUT, "this WhatsApp login is no longer paired: log in again (QR code or phone number)")
		return nil
	}
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return nil
	}
	s.running = true
	s.stop = make(chan struct{})
	stop := s.stop
	s.permanent = ""
	s.mu.Unlock()
	s.seen.connecting() // before any post of the connection (channelcatchup.go)
	var held *heldEvents
	s.hookMu.Lock()
	if !s.hooked {
		if held = s.d.held; held != nil {
			s.handler = held.id
		} else {
			s.handler = s.d.cli.AddEventHandler(s.handle)
		}
		s.hooked = true
	}
	s.hookMu.Unlock()
	if held != nil {
		// A device just paired: what came since, then the rest (outside
		// s.mu: the handler takes it).
		held.attach(s.handle)
	}
	s.pushHistory() // what a restart left in the spool
	if s.d.cli.IsConnected() {
		// The device a login process just paired: already connected.
		s.state(pb.LoginState_LOGIN_STATE_CONNECTED, "connected as "+s.login.LoginID)
		s.presentUnavailableLater() // as on Connected (messages.go)
		return nil
	}
	s.state(pb.LoginState_LOGIN_STATE_CONNECTING, "connecting to WhatsApp")
	go s.connectLoop(stop)
	return nil
}

// firstRetry is the wait after a failed first connection; it doubles
// up to 5 minutes.
var firstRetry = newSetting(time.Second)

// connectLoop tries to connect until it works or Disconnect is called.
func (s *Session) connectLoop(stop chan struct{}) {
	delay := firstRetry.get()
	for {
		if s.d.dev.ID == nil {
			return // unlinked meanwhile: LoggedOut said so
		}
		err := s.d.cli.Connect()
		if err == nil || errors.Is(err, whatsmeow.ErrAlreadyConnected) {
			return
		}
		if why := s.stopped(); why != "" {
			// Logged out, replaced, banned, outdated: trying again does
			// not help, and the state said so already.
			s.log.Info("not reconnecting", "why", why, "err", err)
			return
		}
		s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, "cannot reach WhatsApp ("+err.Error()+"); trying again in "+delay.String())
		select {
		case <-stop:
			return
		case <-time.After(delay + rand.N(delay/4+1)):
		}
		delay = min(delay*2, 5*time.Minute)
	}
}

// connectRefused answers a refusal of the connection whatsmeow knows no
// reason for (but for a device WhatsApp no longer knows, or a client it
// refuses): it dispatches ConnectFailure only for those, and then does
// not reconnect by itself (it takes the disconnect as expected), so the
// login would stay disconnected for good while said to come back. A
// refusal that may pass is retried with backoff, as a first connection
// is, the wait starting again once a connection is accepted; one that
// would come again (a device unknown, the client refused, 501), or a
// code unknown refused more than maxRefusals times in a row, stops the
// login saying why.
func (s *Session) connectRefused(e *events.ConnectFailure) {
	switch e.Reason {
	case events.ConnectFailureNotFound, events.ConnectFailureClientUnknown:
		// WhatsApp no longer knows the device: its registration is gone
		// on WhatsApp's side (mautrix-meta, on the same protocol,
		// registers a new device for these). The same keys cannot pass:
		// it was retried every 5 minutes for ever, said to come back.
		s.endForGood("device unknown")
		s.state(pb.LoginState_LOGIN_STATE_LOGGED_OUT, fmt.Sprintf(
			"WhatsApp no longer knows this linked device (%d), as if it had been unlinked: "+
				"log in again (QR code or phone number) to link a new one", int(e.Reason)))
		return
	case events.ConnectFailureBadUserAgent:
		// WhatsApp refuses the client itself (its user agent: the
		// version and platform it announces), and the same one again
		// however long the wait: it was retried every 5 minutes for
		// ever. As for ClientOutdated, a newer version is tried once.
		s.clientRefused("BadUserAgent, 409", userAgentText)
		return
	case events.ConnectFailureGeneric:
		// 400 is seen after WhatsApp's outages and goes away: retried.
		s.reconnectLater("WhatsApp refused the connection (400, a generic failure, as after an outage on its side)")
		return
	case events.ConnectFailureExperimental:
		// whatsmeow names 501 "experimental" and, unlike 500 and 503
		// (the server's own trouble, from which it reconnects by
		// itself), takes it as the end; as HTTP's 501 ("not
		// implemented"), it is about what this client asks, which the
		// same client asks again: it was retried every 5 minutes for
		// ever.
		s.endForGood("refused (501)")
		s.state(pb.LoginState_LOGIN_STATE_STOPPED, experimentalText)
		return
	}
	why := e.Reason.String()
	if e.Message != "" {
		why += ", " + e.Message
	}
	// A code neither whatsmeow nor the plugin knows: retried with
	// backoff as it may pass, but not for ever (it was).
	s.mu.Lock()
	s.refusals++
	n := s.refusals
	s.mu.Unlock()
	if n > maxRefusals {
		s.endForGood("refused (" + e.Reason.NumberString() + ")")
		s.state(pb.LoginState_LOGIN_STATE_STOPPED, fmt.Sprintf(
			"WhatsApp refused the connection %d times in a row (%s), a refusal the gateway knows no meaning of; "+
				"it stopped trying: use relogin to try again, and if it is refused again, the gateway may need updating", n, why))
		return
	}
	s.reconnectLater("WhatsApp refused the connection (" + why + ")")
}

// maxRefusals is how many refusals of the connection in a row with an
// unknown code are retried (the waits 1 s, 2 s... 4 min 16 s: about 8
// minutes in all) before the login stops.
const maxRefusals = 9

// experimentalText says what a refusal with 501 means and what to do.
const experimentalText = "WhatsApp refused the connection (501, which whatsmeow names \"experimental\": " +
	"unlike a 500 or 503, not a passing trouble of WhatsApp's, but about this client, which would be refused again); " +
	"the gateway stopped trying: use relogin to try again later, and if it is refused again, the gateway must be updated"

// reconnectLater says what ended the connection, for which whatsmeow
// does not reconnect, and reconnects after a wait that doubles each time
// up to 5 minutes.
func (s *Session) reconnectLater(what string) {
	s.mu.Lock()
	stop, running := s.stop, s.running
	delay := s.refusedWait
	if delay == 0 {
		delay = firstRetry.get()
	}
	s.refusedWait = min(delay*2, 5*time.Minute)
	s.mu.Unlock()
	s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT, fmt.Sprintf("%s; trying again in %s", what, delay))
	if !running {
		return
	}
	go func() {
		select {
		case <-stop:
			return
		case <-time.After(delay):
		}
		s.d.cli.Disconnect()
		s.connectLoop(stop)
	}()
}

// stopped is why the connection ended for good; "" = it did not.
func (s *Session) stopped() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.permanent
}

func (s *Session) endForGood(why string) {
	s.mu.Lock()
	s.permanent = why
	s.mu.Unlock()
}

// Disconnect closes the connection and the database.
func (s *Session) Disconnect(context.Context) error {
	s.typingKeeper().StopAll()
	s.mu.Lock()
	if s.running {
		close(s.stop)
		s.running = false
	}
	s.mu.Unlock()
	s.hookMu.Lock()
	if s.hooked {
		s.d.cli.RemoveEventHandler(s.handler)
		s.hooked = false
	}
	s.hookMu.Unlock()
	s.d.close()
	s.unread.closeJournal()
	return nil
}

// Logout unlinks the device from the phone and deletes its database
// (the host then removes the login's folder).
func (s *Session) Logout(ctx context.Context) error {
	s.typingKeeper().StopAll()
	if s.d.dev == nil {
		s.d.close()
		s.unread.closeJournal()
		return nil
	}
	if s.d.dev.ID != nil && !s.d.cli.IsConnected() {
		// A login not connected (the gateway's Logout after a restart,
		// or one owed since the plugin was down): whatsmeow sends the
		// unlink over a connection, so dial first.
		s.dialForLogout(ctx)
	}
	err := s.d.cli.Logout(ctx)
	if err != nil && !errors.Is(err, whatsmeow.ErrNotLoggedIn) {
		// Unreachable: the phone still lists the device; forget it
		// here anyway, as the user asked.
		s.log.Warn("logout not told to WhatsApp; forgetting the device anyway", "err", err)
		if derr := s.d.dev.Delete(ctx); derr != nil {
			s.log.Warn("delete the device", "err", derr)
		}
	}
	_ = s.Disconnect(ctx)
	return nil
}

// logoutDialWait bounds the wait for a connection to log out on.
const logoutDialWait = 20 * time.Second

// dialForLogout connects the device and waits until WhatsApp accepted it
// (or logoutDialWait, or ctx): Logout then has a connection to tell
// WhatsApp on. A failure is left to Logout to report.
func (s *Session) dialForLogout(ctx context.Context) {
	if err := s.d.cli.Connect(); err != nil {
		s.log.Warn("logout: cannot reach WhatsApp", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, logoutDialWait)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !s.d.cli.IsLoggedIn() {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// lidStore is the device's LID map (nil without a device).
func (s *Session) lidStore() store.LIDStore {
	if s.d == nil || s.d.dev == nil {
		return nil
	}
	return s.d.dev.LIDs
}

// identityMoved announces that a LID shown before is this phone number.
func (s *Session) identityMoved(oldID string, pn types.JID) {
	name := ""
	if s.d != nil && s.d.dev != nil {
		if c, err := s.d.dev.Contacts.GetContact(context.Background(), pn); err == nil {
			name = contactName(c)
		}
	}
	s.emit(identityEvent(oldID, pn, name))
	s.polls.moved(oldID, plainUserID(pn)) // one voter, not two
	if err := s.timers.moved(oldID, plainUserID(pn)); err != nil {
		s.log.Warn("disappearing-messages timer not moved", "from", oldID, "err", err)
	}
	if err := s.pins.moved(oldID, plainUserID(pn)); err != nil {
		s.log.Warn("pins not moved", "from", oldID, "err", err)
	}
}

// sendErr turns a whatsmeow error into a typed one.
func sendErr(what string, err error) error {
	switch {
	case errors.Is(err, whatsmeow.ErrNotLoggedIn):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "whatsapp: %s: not logged in: the device is no longer linked, log in again (QR code or phone number)", what)
	case errors.Is(err, whatsmeow.ErrNotConnected):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: %s: not connected to WhatsApp", what)
	case errors.Is(err, whatsmeow.ErrGroupNotFound):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: %s: no such group", what)
	case errors.Is(err, whatsmeow.ErrNotInGroup):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: %s: not in the group", what)
	case errors.Is(err, whatsmeow.ErrIQForbidden):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: %s: WhatsApp does not let you (the group may let only its admins do it)", what)
	}
	var iq *whatsmeow.IQError
	if errors.As(err, &iq) && iq.Code == 429 {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "whatsapp: %s: WhatsApp says too many requests (%s); try again later", what, iq.Text)
	}
	var se *sdk.Error
	if errors.As(err, &se) {
		return err
	}
	if code := serverCode(err); code != 0 {
		return refusalErr(what, code)
	}
	if errors.Is(err, whatsmeow.ErrMessageTimedOut) {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: %s: WhatsApp did not confirm it in time: it may have gone; look on your phone before sending it again", what)
	}
	if code := uploadStatus(err); code != 0 {
		if code == http.StatusRequestEntityTooLarge {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE, "whatsapp: %s: WhatsApp's media server refused the file as too large", what)
		}
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: %s: WhatsApp's media server refused the file (HTTP %d); try again later", what, code)
	}
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: %s: %v", what, err)
}

// refusalErr is WhatsApp's refusal of a message (the error code of its
// acknowledgement, which whatsmeow gives as "server returned error N")
// as a typed error that says what it means, as far as other clients of
// the protocol have learnt it: it was "service unavailable" with the
// bare code, as if trying again would do.
func refusalErr(what string, code int) error {
	switch code {
	case 401, 403:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: %s: WhatsApp does not let you write here (%d: a blocked contact, a group you are not in, or one where only admins write)", what, code)
	case 404:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: %s: WhatsApp knows no such chat (404)", what)
	case 429:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "whatsapp: %s: WhatsApp says too many messages (429); try again later", what)
	case 463:
		// WhatsApp's "reach-out time-lock": the account may not start
		// conversations for a while (Baileys' issue 2441, whatsmeow's
		// issue 1074).
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "whatsapp: %s: WhatsApp refused the message (463): it limits this account's messages to people who have not written to it lately; send it from your phone, or try again later", what)
	case 479:
		// Seen for a message WhatsApp cannot deliver as addressed (a
		// chat's devices out of step, a LID it cannot map: whatsmeow's
		// issues 859, 922), often gone on a second try.
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: %s: WhatsApp refused the message (479: it could not deliver it as addressed); try again, or send it from your phone", what)
	}
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: %s: WhatsApp refused the message (error %d)", what, code)
}

// serverCode is the error code of WhatsApp's acknowledgement refusing a
// message (whatsmeow's ErrServerReturnedError, the code after it); 0
// for any other error.
func serverCode(err error) int {
	if !errors.Is(err, whatsmeow.ErrServerReturnedError) {
		return 0
	}
	return codeAfter(err.Error(), whatsmeow.ErrServerReturnedError.Error())
}

// uploadStatus is the HTTP status of whatsmeow's failed upload ("upload
// failed with status code N", an error it gives no type); 0 for any
// other error.
func uploadStatus(err error) int {
	return codeAfter(err.Error(), "upload failed with status code")
}

// codeAfter is the number after the last prefix in an error's text
// (whatsmeow puts codes only there); 0 when there is none.
func codeAfter(text, prefix string) int {
	i := strings.LastIndex(text, prefix)
	if i < 0 {
		return 0
	}
	var code int
	if _, err := fmt.Sscanf(text[i+len(prefix):], "%d", &code); err != nil {
		return 0
	}
	return code
}
