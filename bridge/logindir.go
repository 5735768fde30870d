package bridge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"passerelle.im/passerelle/store"
)

// Each login has its own folder, logins/<Login.DataDir> under the
// transport's data folder, for the network library's own database
// (contract v2's login_dir). The host makes it before the login process
// starts, hands it to the plugin with StartLogin and every Connect, and
// removes it when the login is logged out, replaced or never completed.
//
// A folder's name never comes from the network: it is a readable prefix
// of the user's JID, reduced to a few safe ASCII characters, and a random
// suffix. Whatever the login and user IDs are (../, NUL, very long,
// any script), the folder stays one plain element under logins/.

// loginsFolder is the folder of the logins' folders, under the
// transport's data folder.
const loginsFolder = "logins"

// maxDirPrefix bounds the readable part of a folder's name.
const maxDirPrefix = 40

// newLoginDirName picks a folder name for a login of user.
func newLoginDirName(user string) string {
	var b strings.Builder
	for _, c := range []byte(user) {
		if b.Len() >= maxDirPrefix {
			break
		}
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A') // one name on case-insensitive file systems too
		case c == '@', c == '.':
			b.WriteByte('.')
		default:
			b.WriteByte('_')
		}
	}
	prefix := strings.Trim(b.String(), ".")
	if prefix == "" {
		prefix = "login"
	}
	var r [8]byte
	rand.Read(r[:])
	return prefix + "-" + hex.EncodeToString(r[:])
}

// validLoginDirName reports whether name is one a folder of a login may
// have: what newLoginDirName makes, or at least one plain, harmless path
// element (a stored name is checked again before use: the store is data,
// and a folder is removed by this name).
func validLoginDirName(name string) bool {
	if name == "" || len(name) > store.MaxDataDir || name[0] == '.' {
		return false
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return filepath.IsLocal(name)
}

// loginDirPath is the path of the login folder name.
func (t *transport) loginDirPath(name string) (string, error) {
	if !validLoginDirName(name) {
		return "", fmt.Errorf("login folder %q is not a plain folder name", name)
	}
	if t.dataDir == "" {
		return "", errors.New("the transport has no data folder")
	}
	return filepath.Join(t.dataDir, loginsFolder, name), nil
}

// makeLoginDir creates the login folder name (it may exist) and returns
// its path.
func (t *transport) makeLoginDir(name string) (string, error) {
	path, err := t.loginDirPath(name)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create the logins folder: %w", err)
	}
	if err := os.Mkdir(path, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("create the login folder: %w", err)
	}
	return path, nil
}

// newLoginDir makes a new folder for a login process of user: its name
// and path.
func (t *transport) newLoginDir(user string) (name, path string, err error) {
	name = newLoginDirName(user)
	path, err = t.makeLoginDir(name)
	if err != nil {
		t.log.Error("creating a login folder failed", "user", user, "err", err)
		return "", "", gatewayFault("the gateway could not create the login's folder", err)
	}
	return name, path, nil
}

// removeLoginDir removes the login folder name and all in it; "" is none.
func (t *transport) removeLoginDir(name string) {
	if name == "" {
		return
	}
	path, err := t.loginDirPath(name)
	if err != nil {
		t.log.Error("login folder not removed", "err", err)
		return
	}
	if err := os.RemoveAll(path); err != nil {
		t.log.Error("removing a login folder failed", "folder", path, "err", err)
	}
}

// loginDir makes sure the login has its folder and returns its path. A
// login stored before contract v2 has none, and one whose stored name is
// unusable gets a new one: the name is stored first, so that it comes
// back on the next start.
func (t *transport) loginDir(ctx context.Context, l store.Login) (string, error) {
	if validLoginDirName(l.DataDir) {
		return t.makeLoginDir(l.DataDir) // recreated if someone removed it
	}
	if l.DataDir != "" {
		t.log.Error("stored login folder unusable; a new one is made", "user", l.UserJID, "folder", l.DataDir)
	}
	name := newLoginDirName(l.UserJID)
	if err := t.db.SetDataDir(ctx, t.name, l.UserJID, name); err != nil {
		return "", fmt.Errorf("store the login's folder: %w", err)
	}
	if s := t.session(l.UserJID); s != nil && s.LoginID() == l.LoginID {
		s.mu.Lock()
		s.login.DataDir = name
		s.mu.Unlock()
	}
	t.log.Info("login folder made", "user", l.UserJID, "folder", name)
	return t.makeLoginDir(name)
}

// sweepLoginDirs removes the folders under logins/ that no stored login
// names: those of login processes the gateway stopped before they
// completed or were cancelled. It runs at start, before any process.
func (t *transport) sweepLoginDirs(logins []store.Login) {
	if t.dataDir == "" {
		return
	}
	keep := map[string]bool{}
	for _, l := range logins {
		keep[l.DataDir] = true
	}
	entries, err := os.ReadDir(filepath.Join(t.dataDir, loginsFolder))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			t.log.Warn("cannot read the logins folder", "err", err)
		}
		return
	}
	for _, e := range entries {
		if keep[e.Name()] || !validLoginDirName(e.Name()) {
			continue
		}
		t.log.Info("removing the folder of a login that never completed", "folder", e.Name())
		t.removeLoginDir(e.Name())
	}
}
