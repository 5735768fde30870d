package config

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// permSetup writes a configuration in a fresh folder, with its store in
// data/, both created private; it returns the loaded config.
func permSetup(t *testing.T, data string) *Config {
	t.Helper()
	isolate(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "passerelle.toml")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Prepare(); err != nil {
		t.Fatal(err)
	}
	return c
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestPermissionsPrivate(t *testing.T) {
	c := permSetup(t, minimal)
	if ws := c.PermissionWarnings(); len(ws) != 0 {
		t.Errorf("private files, yet warnings: %v", ws)
	}
}

func TestPermissionsInlineSecret(t *testing.T) {
	c := permSetup(t, minimal)
	chmod(t, c.Path, 0o644)
	ws := c.PermissionWarnings()
	if len(ws) != 1 || ws[0].Path != c.Path || ws[0].Mode != 0o644 || ws[0].Want != 0o600 || !strings.Contains(ws[0].Why, "transport echo") {
		t.Fatalf("config readable by others with a secret inline: %v", ws)
	}
	// Group-readable is as bad; writable by the owner only is not.
	chmod(t, c.Path, 0o640)
	if ws := c.PermissionWarnings(); len(ws) != 1 {
		t.Errorf("group-readable config with a secret: %v", ws)
	}
	chmod(t, c.Path, 0o400)
	if ws := c.PermissionWarnings(); len(ws) != 0 {
		t.Errorf("0400 config: %v", ws)
	}
}

// asUser makes the permission checks see this process run as uid.
func asUser(t *testing.T, uid int) {
	t.Helper()
	old := geteuid
	geteuid = func() int { return uid }
	t.Cleanup(func() { geteuid = old })
}

// ownedByUser gives path to a user other than root (the test's own when
// it is not root) and returns that user.
func ownedByUser(t *testing.T, path string) int {
	t.Helper()
	uid := os.Geteuid()
	if uid == 0 {
		uid = 4321
		if err := os.Chown(path, uid, -1); err != nil {
			t.Fatal(err)
		}
	}
	return uid
}

// TestPermissionsInlineSecretFix: the fix said for a readable
// configuration with a secret inline is the unit's secrets.env beside it,
// naming the variable; chmod 600 only when this process's user, not
// root, owns the file. It said "(chmod 600 FILE)" always: for the root's
// file of examples/passerelle.service, whose DynamicUser cannot read a
// 0600 root file, that broke the service.
func TestPermissionsInlineSecretFix(t *testing.T) {
	c := permSetup(t, minimal+"[[transport]]\nname = \"my-net\"\ndomain = \"net.localhost\"\nsecret = \"x\"\nplugin = \"passerelle-echo\"\n")
	chmod(t, c.Path, 0o644)
	owner := ownedByUser(t, c.Path)
	env := filepath.Join(filepath.Dir(c.Path), "secrets.env")
	chmodFix := "chmod 600 " + c.Path
	for _, tc := range []struct {
		name      string
		uid       int
		wantChmod bool
	}{
		{"root, as check-config under sudo", 0, false},
		{"another user, as the unit's DynamicUser", owner + 1, false},
		{"the file's owner", owner, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asUser(t, tc.uid)
			ws := c.PermissionWarnings()
			if len(ws) != 1 {
				t.Fatalf("warnings: %v", ws)
			}
			s := ws[0].String()
			move := strings.Index(s, "move it to "+env+" ")
			if move < 0 || !strings.Contains(s, "PASSERELLE_SECRET_ECHO=... and PASSERELLE_SECRET_MY_NET=...") ||
				!strings.Contains(s, "transport echo, my-net") || !strings.Contains(s, "take the secret = lines out") {
				t.Errorf("warning does not send the secrets to %s, naming both transports' variables:\n%s", env, s)
			}
			at := strings.Index(s, chmodFix)
			switch {
			case tc.wantChmod && at < move:
				t.Errorf("warning does not offer %q after secrets.env:\n%s", chmodFix, s)
			case !tc.wantChmod && strings.Contains(s, "chmod"):
				t.Errorf("warning says chmod, which would keep the service's user out:\n%s", s)
			}
		})
	}
}

// TestPermissionsNoSecretInConfig: a readable config without a secret is
// fine (the example unit keeps the secret in the environment).
func TestPermissionsNoSecretInConfig(t *testing.T) {
	t.Setenv("PASSERELLE_SECRET_ECHO", "from-env")
	c := permSetup(t, strings.Replace(minimal, `secret = "s3cr3t"`, "", 1))
	chmod(t, c.Path, 0o644)
	if ws := c.PermissionWarnings(); len(ws) != 0 {
		t.Errorf("no secret in the config, yet: %v", ws)
	}
}

func TestPermissionsSecretFile(t *testing.T) {
	isolate(t)
	sf := filepath.Join(t.TempDir(), "echo.secret")
	if err := os.WriteFile(sf, []byte("s3cr3t\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := permSetup(t, strings.Replace(minimal, `secret = "s3cr3t"`, `secret_file = "`+sf+`"`, 1))
	chmod(t, c.Path, 0o644) // holds no secret itself
	asUser(t, 0)            // root, as check-config under sudo
	ws := c.PermissionWarnings()
	if len(ws) != 1 || ws[0].Path != sf {
		t.Fatalf("secret_file readable by others: %v", ws)
	}
	if s := ws[0].String(); !strings.Contains(s, "LoadCredential=echo.secret:"+sf) || strings.Contains(s, "chmod") {
		t.Errorf("secret_file warning under root: want LoadCredential, no chmod:\n%s", s)
	}
	asUser(t, ownedByUser(t, sf))
	if ws := c.PermissionWarnings(); len(ws) != 1 || !strings.Contains(ws[0].String(), "chmod 600 "+sf) {
		t.Errorf("secret_file warning to its owner: want chmod 600: %v", ws)
	}
}

func TestPermissionsStore(t *testing.T) {
	c := permSetup(t, minimal)
	dir := filepath.Dir(c.Store.Path)
	chmod(t, c.Store.Path, 0o644)
	chmod(t, dir, 0o755)
	ws := c.PermissionWarnings()
	if len(ws) != 2 || ws[0].Path != dir || ws[0].Want != 0o700 || ws[1].Path != c.Store.Path || ws[1].Want != 0o600 {
		t.Fatalf("store and folder open to others: %v", ws)
	}
	// Group-writable only is still wider than 0600.
	chmod(t, dir, 0o700)
	chmod(t, c.Store.Path, 0o620)
	if ws := StorePermissionWarnings(c.Store.Path); len(ws) != 1 || ws[0].Path != c.Store.Path {
		t.Errorf("group-writable database: %v", ws)
	}

	var b bytes.Buffer
	c.WarnPermissions(slog.New(slog.NewTextHandler(&b, nil)))
	if got := b.String(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, "path="+c.Store.Path) || !strings.Contains(got, "mode=0620") {
		t.Errorf("log: %s", got)
	}
}

func TestPermissionsStoreMissing(t *testing.T) {
	if ws := StorePermissionWarnings(filepath.Join(t.TempDir(), "none", "passerelle.db")); len(ws) != 0 {
		t.Errorf("missing store: %v", ws)
	}
}

// TestPermissionsMediaDir: the built-in server's folder open to others
// lets a local user list its token folders, and so fetch every file from
// the endpoint: the tokens are the URLs' only secret.
func TestPermissionsMediaDir(t *testing.T) {
	media := filepath.Join(t.TempDir(), "files")
	c := permSetup(t, minimal+"[media]\nlisten = \"127.0.0.1:8093\"\npublic_url = \"https://x.example\"\ndir = \""+media+"\"\n")
	if ws := c.PermissionWarnings(); len(ws) != 0 {
		t.Fatalf("private media folder, yet: %v", ws)
	}
	chmod(t, media, 0o755)
	ws := c.PermissionWarnings()
	if len(ws) != 1 || ws[0].Path != media || ws[0].Want != 0o700 || !strings.Contains(ws[0].Why, "token") {
		t.Errorf("media folder open to others: %v", ws)
	}
	// Off: not checked.
	c.Media.Listen = ""
	if ws := c.PermissionWarnings(); len(ws) != 0 {
		t.Errorf("built-in server off, yet: %v", ws)
	}
}
