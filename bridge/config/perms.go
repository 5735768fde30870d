package config

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// PermWarning is a file or folder of the gateway open to more users than
// it should be.
type PermWarning struct {
	// Path is the file or folder.
	Path string
	// Mode is its permission bits; Want the widest it should have.
	Mode, Want fs.FileMode
	// Why says what it holds.
	Why string
	// Fix says what to do when chmod to Want is not the whole answer (a
	// secret the service's user must still read); "" when it is.
	Fix string
}

// String is the warning as check-config prints it.
func (w PermWarning) String() string {
	if w.Fix != "" {
		return fmt.Sprintf("%s has mode %#o: %s, which group or others can read; %s", w.Path, w.Mode, w.Why, w.Fix)
	}
	return fmt.Sprintf("%s has mode %#o, want %#o or narrower: %s (chmod %o %s)", w.Path, w.Mode, w.Want, w.Why, w.Want, w.Path)
}

// geteuid is the user this process runs as; a variable for tests.
var geteuid = os.Geteuid

// PermissionWarnings checks the files that hold secrets or the users'
// data: a configuration file with a transport's secret inline and a
// secret_file must not be readable by group or others; the store's
// database and its folder must be private to the gateway's user (0600 and
// 0700, as the gateway creates them), and so must the built-in file
// server's folder. Missing files are not reported.
//
// A secret's file must stay readable by the service's user: under
// examples/passerelle.service, a DynamicUser, a root-owned file made 0600
// is one it cannot read, and the service fails. So the fix for a secret
// inline is the unit's secrets.env beside the configuration, and chmod
// is said only where this process, not root, owns the file: then
// passerelle runs as that user and still reads it.
func (c *Config) PermissionWarnings() []PermWarning {
	var ws []PermWarning
	var inline []Transport
	seen := map[string]bool{}
	for _, t := range c.Transports {
		switch {
		case t.SecretSource == "secret":
			inline = append(inline, t)
		case strings.HasPrefix(t.SecretSource, "secret_file "):
			path := strings.TrimPrefix(t.SecretSource, "secret_file ")
			if seen[path] {
				continue
			}
			seen[path] = true
			fix := "under examples/passerelle.service, whose user cannot read a root-only file, hand it over with LoadCredential=" + t.Name + ".secret:" + path + " and set secret_file to /run/credentials/passerelle.service/" + t.Name + ".secret (only the service can read that), or use " + SecretsEnvPath(c.Path) + chmodOwner(path, 0o600)
			if w, ok := check(path, 0o600, 0o044, "it holds transport "+t.Name+"'s secret"); ok {
				w.Fix = fix
				ws = append(ws, w)
			}
		}
	}
	if len(inline) > 0 {
		names, vars := make([]string, len(inline)), make([]string, len(inline))
		for i, t := range inline {
			names[i], vars[i] = t.Name, secretEnvName(t.Name)+"=..."
		}
		why := "it holds the secret of transport " + strings.Join(names, ", ")
		file := streamedFile(c.Path)
		fix := "move it to " + SecretsEnvPath(c.Path) + " (mode 0600; examples/passerelle.service loads it) as " + strings.Join(vars, " and ") + ", and take the secret = " + plural(len(inline), "line", "lines") + " out of this file, which may then stay readable" + chmodOwner(file, 0o600)
		if w, ok := check(file, 0o600, 0o044, why); ok {
			w.Fix = fix
			ws = append(ws, w)
		}
	}
	ws = append(ws, StorePermissionWarnings(c.Store.Path)...)
	if c.Media.Listen != "" {
		if w, ok := check(c.Media.Dir, 0o700, 0o077, "the built-in file server's folders are named by the files' URL tokens: whoever lists them fetches every file"); ok {
			ws = append(ws, w)
		}
	}
	return ws
}

// StorePermissionWarnings checks the store's database file and its folder:
// anyone who can read them reads every user's logins and message map.
func StorePermissionWarnings(path string) []PermWarning {
	var ws []PermWarning
	if w, ok := check(filepath.Dir(path), 0o700, 0o077, "it holds the gateway's database"); ok {
		ws = append(ws, w)
	}
	if w, ok := check(path, 0o600, 0o077, "the gateway's database holds every user's logins and message map"); ok {
		ws = append(ws, w)
	}
	return ws
}

// plural is one or many as n says.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// secretEnvName is the variable that holds transport name's secret.
func secretEnvName(name string) string {
	return SecretEnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// chmodOwner offers chmod as a fix where it keeps the file readable by
// passerelle: this process's user owns it, and is not root (as whom an
// admin runs check-config for a service that runs as another user).
func chmodOwner(path string, want fs.FileMode) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	uid, ok := ownerOf(fi)
	euid := geteuid()
	if !ok || euid <= 0 || uid != uint32(euid) {
		return ""
	}
	return fmt.Sprintf("; or, if passerelle runs as you (uid %d), its owner, chmod %o %s", euid, want, path)
}

// check reports path when its mode has any of the bits of bad.
func check(path string, want, bad fs.FileMode, why string) (PermWarning, bool) {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&bad == 0 {
		return PermWarning{}, false
	}
	return PermWarning{Path: path, Mode: fi.Mode().Perm(), Want: want, Why: why}, true
}

// WarnPermissions logs each of PermissionWarnings as a warning.
func (c *Config) WarnPermissions(log *slog.Logger) {
	for _, w := range c.PermissionWarnings() {
		args := []any{"path", w.Path, "mode", fmt.Sprintf("%#o", w.Mode), "want", fmt.Sprintf("%#o", w.Want), "why", w.Why}
		if w.Fix != "" {
			args = append(args, "fix", w.Fix)
		}
		log.Warn("permissions wider than needed", args...)
	}
}
