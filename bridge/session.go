package bridge

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// session is one user's login on the network, as the gateway runs it (a
// user has at most one per transport): the login record, what the plugin
// last said of its connection, the user's own availability, and what is
// known of the login's contacts (their presences and avatars). Its
// methods are the login's account (account.go), its availability
// (avail.go) and its contacts and roster sync (contacts.go).
type session struct {
	t    *transport
	user string // the user's bare JID

	// loginID is login.LoginID, fixed for the session's life and read
	// without mu: a record of the same login put in place (putLogin)
	// rewrites login under mu while others read the ID.
	loginID string

	mu        sync.Mutex
	login     store.Login
	state     loginState
	avail     *userAvail              // nil: nothing known of the user's availability
	presences map[string]*pb.Presence // contact's user ID -> its presence
	avatars   map[string]string       // contact's user ID -> XEP-0153 photo hash
	avatarIDs map[string]string       // contact's user ID -> the network's avatar ID
	// moderating are the user's moderations under way, by the remote ID
	// of the message (room_moderate.go).
	moderating map[string]*moderation
	// avatarSyncing: the user's avatar is being set as their profile
	// picture; avatarAgain: look once more when done; avatarTried: the
	// photo hash of the user's presence last acted on, nil before one
	// ("" is no avatar) (profile_avatar.go).
	avatarSyncing, avatarAgain bool
	avatarTried                *string
	// finding: a search for groups is under way, one at a time
	// (room_find.go).
	finding bool
	// pictureSlots bounds the group pictures fetched at once (room_avatar.go).
	pictureSlots chan struct{}
	// feats: what the login can do when less than its transport
	// (login_features.go).
	feats loginFeatures
	// stateWake is closed, and replaced, at each state the plugin
	// says of the login (login_features_wait.go).
	stateWake chan struct{}
	// first catches the login's first settled state for the answer to
	// the login just completed (login_connected.go); nil when none waits.
	first *firstState
	// connFloor is the number of the login's latest Connect, or of the
	// watch of a login just completed: a state numbered below it is of
	// a connection before, and ignored (connmark.go).
	connFloor uint64
	// connecting is the login's first Connect under way, after it
	// completed (login_connecting.go); nil when none is.
	connecting *connectRun
	// relogins tells the login's messages of a relogin under way
	// (relogin_wait.go).
	relogins reloginGate

	// The login's messages on their way to the network (messaging.go).
	// sending: the sends whose remote ID is not known yet, by
	// sendKey(login, chat, XMPP ID or "*"), so that a correction sent
	// right behind one finds it. txns: the txns of commands whose result
	// is not stored yet, by sendKey(login, "", txn): a resend meanwhile
	// is ignored. stored: signals the remote IDs of sent messages once
	// their results are stored, to the events waiting for them.
	sending, txns sending
	stored        arrivals
	// echoGaveUp: per chat's sendKey "*", the sends under way (their
	// ended channel) that an echo's wait gave up on (refwait.go).
	echoGaveUp sync.Map
	roomsMade  arrivals // chat IDs of rooms the session learnt (room_create.go)

	// rooms are the login's groups as MUC rooms (room.go).
	rooms roomSet
	// roomsSynced is closed once the first room sync since the start
	// read the network's chat list (waitRoomsSynced).
	roomsSynced     chan struct{}
	roomsSyncedOnce sync.Once
	// roomSync runs one syncRooms at a time (room.go).
	roomSync roomSyncRun
	// joins are the joins of rooms not known yet (room_join.go), under mu.
	joins joinsUnderway
	// progress is the login's long work under way (progress.go).
	progress progressBoard
	// names are the network's answers on names to join (room_join_disco.go).
	names personNames
	// aliases say which moved contacts keep the occupant-ids of their
	// first ID (room_occupant_id.go).
	aliases occupantAliases
	// moved: the chat ID of a group the network moved -> its new room's
	// JID, as stored (room_in.go's destroyedRoom, movedTo).
	moved sync.Map
	// deleted: the chat ID of a group the network deleted -> the room
	// that ended with it, as a weak.Pointer[room] (a big group's members
	// are not kept for it), so that a late reflection does not make its
	// deleted archive anew (room_in.go's roomDeleted).
	deleted sync.Map
	// destroying: the chat ID of a group the user's destroy is deleting
	// -> the reason its room shows, until the network answered
	// (room_destroy.go).
	destroying sync.Map
	// pms: the members the user last wrote to privately through a
	// room, whose answers come from their occupant JIDs (room_pm.go).
	pms privateChats
}

// loginState is what the plugin last said about a login's connection.
type loginState struct {
	state pb.LoginState
	msg   string
	since time.Time
}

func newSession(t *transport, l store.Login) *session {
	s := &session{t: t, user: l.UserJID, loginID: l.LoginID, login: l,
		presences: map[string]*pb.Presence{}, avatars: map[string]string{}, avatarIDs: map[string]string{},
		moderating:   map[string]*moderation{},
		pictureSlots: make(chan struct{}, pictureFetches),
		roomsSynced:  make(chan struct{}),
		stateWake:    make(chan struct{}),
		aliases:      occupantAliases{loginID: l.LoginID}}
	// What the login said it can do when it last connected holds until
	// it connects again (login_features.go).
	own, err := decodeLoginFeatures(l.Features)
	if err != nil {
		t.log.Warn("the login's stored features are unreadable; the transport's hold until it connects", "user", l.UserJID, "err", err)
	}
	s.feats.own = own
	if bytes.Equal(l.Features, featuresUnknown) {
		// Completed, but the gateway stopped before its first CONNECTED.
		s.markFeaturesPending()
	}
	s.loadAvatars()
	s.loadMemberAvatars() // room_member_avatar.go
	return s
}

// loadAvatars takes the contacts' avatars as last fetched from the store,
// so that a contact whose avatar ID did not change is not fetched again
// after a restart, and its presence has the picture's hash at once.
func (s *session) loadAvatars() {
	avs, err := s.t.db.ContactAvatars(s.t.name, s.loginID)
	if err != nil {
		// Fetched again, as the first time.
		s.t.log.Warn("the contacts' stored avatars are unreadable; they are fetched again", "user", s.user, "err", err)
		return
	}
	for id, a := range avs {
		s.avatarIDs[id], s.avatars[id] = a.AvatarID, a.Hash
	}
}

// Login returns the session's login record as it is now.
func (s *session) Login() store.Login {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.login
}

// LoginID is the network's ID of the login, fixed for the session's life.
func (s *session) LoginID() string { return s.loginID }

func (s *session) loginState() loginState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// saveState stores the plugin's saved state of the login, for its next
// connect, and reports whether it did. The state is the session's
// either way: the Connect at the plugin's start hands it over (an older
// one, a token the plugin had replaced, may no longer work), while its
// store write is retried (savedStatesFirst).
func (s *session) saveState(ctx context.Context, state []byte) bool {
	t := s.t
	s.mu.Lock()
	s.login.SavedState = state
	s.mu.Unlock()
	if err := t.db.SetLoginSavedState(ctx, t.name, s.user, s.LoginID(), state); err != nil {
		t.log.Error("saving the plugin's login state failed; retried at its delivery", "user", s.user, "err", err)
		return false
	}
	return true
}

// keepState is saveState for a SavedStateEvent being delivered, in a
// lane of the login's saved states alone (deliveryAddr): a store
// failure (a full disk) is waited out (storeRetry), not taken as done,
// or the event left the outbox and the plugin's newest state was lost
// (its next Connect had an older one: a token it had replaced, say). The
// state is the session's at once, for a Connect meanwhile (the plugin
// restarted). A stop cuts the wait short: the event then stays in the
// outbox for the next start. A login gone meanwhile keeps nothing, nor
// does the account that replaced it take its state.
func (s *session) keepState(ctx context.Context, state []byte) {
	t := s.t
	s.mu.Lock()
	s.login.SavedState = state
	s.mu.Unlock()
	err := t.storeRetry(ctx, "saving the plugin's login state", func() error {
		err := t.db.SetLoginSavedState(ctx, t.name, s.user, s.LoginID(), state)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil && ctx.Err() == nil {
		t.log.Error("saving the plugin's login state failed", "user", s.user, "err", err)
	}
}

// presence is the contact's presence as last known; nil when none is.
func (s *session) presence(userID string) *pb.Presence {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.presences[userID]
}

// presenceShown reports whether p is the presence of the contact the
// user was last shown.
func (s *session) presenceShown(userID string, p *pb.Presence) bool {
	old := s.presence(userID)
	return old != nil && proto.Equal(old, p)
}

// rememberPresence records a contact's presence without showing it.
func (s *session) rememberPresence(userID string, p *pb.Presence) *pb.Presence {
	p = sharedPresence(p)
	s.mu.Lock()
	s.presences[userID] = p
	s.mu.Unlock()
	return p
}

func (s *session) forgetPresence(userID string) {
	s.mu.Lock()
	delete(s.presences, userID)
	s.mu.Unlock()
}

// contactsWithPresence lists the contacts a presence is known of.
func (s *session) contactsWithPresence() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.presences))
	for id := range s.presences {
		ids = append(ids, id)
	}
	return ids
}

// avatarHash is the XEP-0153 photo hash of the contact's avatar, if known.
func (s *session) avatarHash(userID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.avatars[userID]
	return h, ok
}

func (s *session) setAvatarHash(userID, hash string) {
	s.mu.Lock()
	s.avatars[userID] = hash
	s.mu.Unlock()
}

// session returns the user's session; nil when the user has no login.
func (t *transport) session(user string) *session {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.sessions[user]
}

// sessionOf returns the session of a login; nil when no user has it.
func (t *transport) sessionOf(loginID string) *session {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.byLogin[loginID]
}

func (t *transport) loginOf(user string) (store.Login, bool) {
	if s := t.session(user); s != nil {
		return s.Login(), true
	}
	return store.Login{}, false
}

// liveLoginOf is loginOf, but for a login the network ended (logged out,
// or its credentials refused): the user is told to log in again, and a
// new login of theirs must not be refused as one over a live login.
func (t *transport) liveLoginOf(user string) (store.Login, bool) {
	s := t.session(user)
	if s == nil {
		return store.Login{}, false
	}
	switch s.loginState().state {
	case pb.LoginState_LOGIN_STATE_LOGGED_OUT, pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS:
		return store.Login{}, false
	}
	return s.Login(), true
}

func (t *transport) userOf(loginID string) string {
	if s := t.sessionOf(loginID); s != nil {
		return s.user
	}
	return ""
}

// setLogin records the user's login: an update of the session's record
// when it is the same login, else a new session in place of the old one
// (the user's availability carries over: it is the user's, not the
// login's).
func (t *transport) setLogin(l store.Login) *session {
	return t.putLogin(l, false)
}

// setFreshLogin is setLogin for a login just completed: until its first
// CONNECTED its messages wait for its features (login_features_wait.go).
// It is marked so with the record, under the same locks: a CONNECTED
// handled as soon as the session can be found is not undone by a mark
// that came after it.
func (t *transport) setFreshLogin(l store.Login) *session {
	return t.putLogin(l, true)
}

func (t *transport) putLogin(l store.Login, fresh bool) *session {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.sessions[l.UserJID]
	if old != nil && old.LoginID() == l.LoginID {
		old.mu.Lock()
		old.login = l
		if fresh {
			old.markFeaturesPending()
		}
		old.mu.Unlock()
		return old
	}
	s := newSession(t, l)
	if fresh {
		s.markFeaturesPending() // not found by anyone yet: no lock needed
	}
	if old != nil {
		delete(t.byLogin, old.LoginID())
		old.mu.Lock()
		s.avail = old.avail
		old.mu.Unlock()
		old.endFirstWatch() // another account's login replaces it
	}
	t.sessions[l.UserJID] = s
	t.byLogin[l.LoginID] = s
	return s
}

// dropLogin ends the user's session, if any, and returns it.
func (t *transport) dropLogin(user string) *session {
	t.mu.Lock()
	s := t.sessions[user]
	if s != nil {
		delete(t.byLogin, s.LoginID())
		delete(t.sessions, user)
	}
	t.mu.Unlock()
	if s != nil {
		s.endFirstWatch() // login_connected.go: its answer has nothing to tell
	}
	return s
}

// allSessions lists the sessions, in no order.
func (t *transport) allSessions() []*session {
	t.mu.RLock()
	defer t.mu.RUnlock()
	ss := make([]*session, 0, len(t.sessions))
	for _, s := range t.sessions {
		ss = append(ss, s)
	}
	return ss
}
