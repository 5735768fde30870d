package bridge

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/store"
)

// hostileIDs are user JIDs and login IDs a folder name must survive.
var hostileIDs = []string{
	"", ".", "..", "../../etc", "..\\..\\windows", "/abs/path", "a/b", "a\x00b", "\x00",
	strings.Repeat("x", 5000), strings.Repeat("é", 300), "ünïcødé@例え.テスト", "用户@example.org",
	"CON", "nul.txt", ".hidden@example.org", "alice@localhost/../../x", " \t\n", "a:b*c?d\"e<f>g|h",
	"\u202eevil", "..@..", "@", "...",
}

// A login folder's name is one plain element under logins/, whatever the
// user's JID: no separator, no NUL, no dot first, not too long, and each
// new one different.
func TestLoginDirNamesHostile(t *testing.T) {
	tr := newTestTransport(t)
	tr.dataDir = t.TempDir()
	seen := map[string]bool{}
	for _, id := range hostileIDs {
		name := newLoginDirName(id)
		if !validLoginDirName(name) || !filepath.IsLocal(name) || strings.ContainsAny(name, "/\\\x00") ||
			len(name) > 64 || strings.HasPrefix(name, ".") || seen[name] {
			t.Errorf("name for %q: %q", id, name)
		}
		seen[name] = true
		path, err := tr.makeLoginDir(name)
		if err != nil {
			t.Fatalf("folder for %q: %v", id, err)
		}
		if filepath.Dir(path) != filepath.Join(tr.dataDir, loginsFolder) {
			t.Errorf("folder for %q at %s: not in the logins folder", id, path)
		}
		// The store takes it as a login's folder.
		l := store.Login{Transport: "echo", UserJID: "u" + name + "@localhost", LoginID: "l-" + name, DataDir: name}
		if err := tr.db.PutLogin(context.Background(), l); err != nil {
			t.Errorf("the store refuses %q: %v", name, err)
		}
	}
	// A stored name is checked again before any use: a hostile one is
	// neither made nor removed.
	outside := filepath.Join(tr.dataDir, "keep")
	if err := os.Mkdir(outside, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range append(hostileIDs, "../keep", "..", "a/../../keep", strings.Repeat("k", store.MaxDataDir+1)) {
		if validLoginDirName(name) {
			continue // a plain name (e.g. "CON"): it would be a folder under logins/
		}
		if _, err := tr.loginDirPath(name); err == nil {
			t.Errorf("path of the stored name %q accepted", name)
		}
		if _, err := tr.makeLoginDir(name); err == nil {
			t.Errorf("folder %q made", name)
		}
		tr.removeLoginDir(name)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("a folder outside logins/ went: %v", err)
	}
}

// A login with an unusable stored folder name (or none: stored before
// v2) gets a new one, stored, under logins/.
func TestLoginDirRepaired(t *testing.T) {
	tr := newTestTransport(t)
	tr.dataDir = t.TempDir()
	ctx := context.Background()
	for i, bad := range []string{"", "..", "x\x00y"} {
		user := "u" + string(rune('a'+i)) + "@localhost"
		if err := tr.db.PutLogin(ctx, store.Login{Transport: "echo", UserJID: user, LoginID: user}); err != nil {
			t.Fatal(err)
		}
		l := store.Login{Transport: "echo", UserJID: user, LoginID: user, DataDir: bad}
		path, err := tr.loginDir(ctx, l)
		if err != nil {
			t.Fatalf("%q: %v", bad, err)
		}
		stored, err := tr.db.GetLogin("echo", user)
		if err != nil || stored.DataDir == "" || path != filepath.Join(tr.dataDir, loginsFolder, stored.DataDir) {
			t.Errorf("%q: folder %s, stored %+v, %v", bad, path, stored, err)
		}
		if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
			t.Errorf("%q: folder %s not made: %v", bad, path, err)
		}
	}
}

// At start, a folder no stored login names (a login process the gateway
// stopped) goes; the logins' own stay.
func TestLoginDirsSwept(t *testing.T) {
	tr := newTestTransport(t)
	tr.dataDir = t.TempDir()
	kept, left := newLoginDirName("a@x"), newLoginDirName("b@x")
	for _, n := range []string{kept, left} {
		if _, err := tr.makeLoginDir(n); err != nil {
			t.Fatal(err)
		}
	}
	tr.sweepLoginDirs([]store.Login{{DataDir: kept}, {DataDir: ""}})
	if _, err := os.Stat(filepath.Join(tr.dataDir, loginsFolder, kept)); err != nil {
		t.Errorf("a login's folder went: %v", err)
	}
	if _, err := os.Stat(filepath.Join(tr.dataDir, loginsFolder, left)); !os.IsNotExist(err) {
		t.Errorf("a left-over folder stayed: %v", err)
	}
}
