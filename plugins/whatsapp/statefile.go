package whatsapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
)

// The plugin's own state files in the login's folder (invites.json,
// calls.json, disappearing.json, pins.json, history-oldest.json,
// passerelle-lids.json, identity-changes.json, meta-times.json) are read
// once, when first needed. One that
// cannot be read or parsed (a disk fault, a hand edit gone wrong) costs
// what it held, never the plugin's start: it is logged, with its path,
// and set aside under another name, so that the next write, which
// starts from nothing, does not overwrite what an administrator may want
// to look at or mend. Before, it was ignored without a word, and
// overwritten at the next change.

// damagedSuffix is what a state file set aside gets after its name
// (then ".2", ".3"… when one was set aside before).
const damagedSuffix = ".damaged"

// loadState reads the JSON state file path into a new T; ok false when
// there is none (path "" or no file) or it was damaged, which is logged
// and set aside (setAside). A T partly filled before the damage is not
// returned.
func loadState[T any](path string, log *slog.Logger) (v T, ok bool) {
	if path == "" {
		return v, false
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return v, false
	}
	if err == nil {
		err = json.Unmarshal(b, &v)
	}
	if err == nil {
		return v, true
	}
	var zero T
	setAside(path, err, log)
	return zero, false
}

// setAside logs the damaged state file path (err says why) and sets it
// aside (setAsideName); it stays where it is when that fails, which is
// logged too.
func setAside(path string, err error, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	to, rerr := setAsideName(path)
	if rerr != nil {
		log.Warn("whatsapp: a state file is damaged, and could not be set aside: its content not used, and replaced at the next change",
			"file", path, "err", errors.Join(err, rerr))
		return
	}
	log.Warn("whatsapp: a state file is damaged; set aside, its content not used", "file", path, "set_aside_as", to, "err", err)
}

// setAsideName renames path to a name not taken yet, path.damaged, else
// path.damaged.2, and so on, and returns it.
func setAsideName(path string) (string, error) {
	for i := 1; i <= 1000; i++ {
		to := path + damagedSuffix
		if i > 1 {
			to += "." + strconv.Itoa(i)
		}
		if _, err := os.Lstat(to); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.Rename(path, to); err != nil {
			return "", fmt.Errorf("set aside %s: %w", path, err)
		}
		return to, nil
	}
	return "", fmt.Errorf("set aside %s: every name taken", path)
}
