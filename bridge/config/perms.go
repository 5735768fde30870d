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
}

// String is the warning as check-config prints it.
func (w PermWarning) String() string {
	return fmt.Sprintf("%s has mode %#o, want %#o or narrower: %s (chmod %o %s)", w.Path, w.Mode, w.Want, w.Why, w.Want, w.Path)
}

// PermissionWarnings checks the files that hold secrets or the users'
// data: a configuration file with a transport's secret inline and a
// secret_file must not be readable by group or others; the store's
// database and its folder must be private to the gateway's user (0600 and
// 0700, as the gateway creates them), and so must the built-in file
// server's folder. Missing files are not reported.
func (c *Config) PermissionWarnings() []PermWarning {
	var ws []PermWarning
	seen := map[string]bool{}
	for _, t := range c.Transports {
		path, why := "", ""
		switch {
		case t.SecretSource == "secret":
			path, why = c.Path, "it holds transport "+t.Name+"'s secret (or move it to secret_file or the environment)"
		case strings.HasPrefix(t.SecretSource, "secret_file "):
			path, why = strings.TrimPrefix(t.SecretSource, "secret_file "), "it holds transport "+t.Name+"'s secret"
		default:
			continue
		}
		if seen[path] {
			continue
		}
		seen[path] = true
		if w, ok := check(path, 0o600, 0o044, why); ok {
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
		log.Warn("permissions wider than needed", "path", w.Path, "mode", fmt.Sprintf("%#o", w.Mode), "want", fmt.Sprintf("%#o", w.Want), "why", w.Why)
	}
}
