package irc

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"passerelle.im/passerelle/plugins/sdk"
)

// loginID is the ID of user's login acc: nick@server:port/user, the
// nick with A-Z folded only (the fold of every casemap, as the server's
// is not known before it is reached: folded as RFC 1459 says, dave[m]
// and dave{m}, two nicks on a server that folds ASCII only, were one
// ID), user a digest of the user's bare JID (userPart). The gateway,
// the SDK and the store key a login by its ID, and an IRC nick is no
// account: without the user's part, two XMPP users logging in with one
// nick on one server (the second as dave_), or one logging in with a
// nick another once had, were one login, and one reached the other's
// session and data. A SASL account is no more one: it is what the user
// typed, not checked before the login completes, and two connections
// of one account are two nicks, each with its own chats.
func loginID(acc Account, user string) string {
	return legacyLoginID(acc) + "/" + userPart(user)
}

// legacyLoginID is the ID of logins made before the ID had its user's
// part: nick@server:port. A stored login keeps the ID it has (Connect
// hands it back); logging in again as the same nick on the same server
// keeps it too (Network.idFor).
func legacyLoginID(acc Account) string {
	return cmASCII.fold(acc.Nick) + "@" + strings.ToLower(acc.addr())
}

// userPart is 16 hex digits (64 bits) of the SHA-256 of the user's
// bare JID: short, no JID in logs that print the ID, and no other
// user's JID found to give the same part.
func userPart(user string) string {
	h := sha256.Sum256([]byte("passerelle irc login\x00" + user))
	return hex.EncodeToString(h[:8])
}

// loaded is the ID of each user's loaded login, by bare JID: a login
// made before the ID had its user's part keeps its ID when the user
// logs in again with the same nick and server (the gateway takes
// another ID for another account, and drops the old login's chats and
// archives). Such IDs are kept on disk too (legacyFile in the plugin's
// data folder), by user: after a plugin restart the gateway takes
// logins (StartLogin) while it is still connecting its logins again,
// and a user whose credentials were refused could log in again before
// their old login was loaded, and got a new ID.
type loaded struct {
	mu     sync.Mutex
	ids    map[string]string
	path   string            // "" in tests without a data folder
	legacy map[string]string // legacy IDs by userPart, as on disk
	log    *slog.Logger
}

// legacyFile is the file, in the plugin's data folder, of the legacy
// IDs of logins loaded once.
const legacyFile = "legacy-login-ids.json"

// open reads the legacy IDs kept in dir. A damaged file is set aside
// (sdk.LoadStateFile): only the legacy IDs of logins not loaded yet are
// lost.
func (l *loaded) open(dir string, log *slog.Logger) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.log, l.legacy = log, map[string]string{}
	if dir == "" {
		return
	}
	l.path = filepath.Join(dir, legacyFile)
	if m, ok := sdk.LoadStateFile[map[string]string](l.path, "a user whose old-style login is not loaded yet gets a new login ID", log); ok {
		l.legacy = m
	}
}

// keepLocked records (id != "") or drops user's legacy ID on disk.
func (l *loaded) keepLocked(user, id string) {
	if l.legacy == nil {
		l.legacy = map[string]string{}
	}
	key := userPart(user)
	if l.legacy[key] == id {
		return
	}
	if id == "" {
		delete(l.legacy, key)
	} else {
		l.legacy[key] = id
	}
	if l.path == "" {
		return
	}
	if err := sdk.SaveStateFile(l.path, l.legacy); err != nil && l.log != nil {
		l.log.Warn("irc: the legacy login IDs could not be written", "err", err)
	}
}

func (l *loaded) set(user, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids == nil {
		l.ids = map[string]string{}
	}
	l.ids[user] = id
	// A user has one login: a login of an ID of now is not the legacy
	// one, which was logged out.
	if strings.Contains(id, "/") {
		id = ""
	}
	l.keepLocked(user, id)
}

// forget drops user's entry when it is still id.
func (l *loaded) forget(user, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids[user] == id {
		delete(l.ids, user)
	}
	if l.legacy[userPart(user)] == id {
		l.keepLocked(user, "")
	}
}

// idFor is the ID of user's login acc: the legacy ID when it is the one
// of user's loaded login, or of the one loaded last (kept on disk), else
// loginID's.
func (l *loaded) idFor(acc Account, user string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if old := legacyLoginID(acc); l.ids[user] == old || l.legacy[userPart(user)] == old {
		return old
	}
	return loginID(acc, user)
}
