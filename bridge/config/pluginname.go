package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// errPluginNotFound is a bare plugin name found neither beside the gateway
// nor in PATH.
var errPluginNotFound = errors.New("not found")

// nearPlugin returns the installed program named like a plugin
// ("passerelle-...") in dirs that name is likely a typo of (two edits
// away at most), else "": a transport named "whatsap" looks for
// passerelle-whatsap.
func nearPlugin(name string, dirs []string) string {
	best, bestD := "", 3
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			n := e.Name()
			if !strings.HasPrefix(n, DefaultPluginPrefix) || n == name || checkExecutable(filepath.Join(dir, n)) != nil {
				continue
			}
			if d := editDistance(name, n); d < bestD || d == bestD && n < best {
				best, bestD = n, d
			}
		}
	}
	return best
}

// pluginDirs are the folders a bare plugin name is looked up in: the
// gateway binary's, then PATH's.
func pluginDirs(exeDir string) []string {
	dirs := filepath.SplitList(os.Getenv("PATH"))
	if exeDir != "" {
		dirs = slices.Insert(dirs, 0, exeDir)
	}
	return dirs
}
