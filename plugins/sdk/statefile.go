package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
)

// A plugin's small state files in a login's folder (what it told, marks,
// names learnt) are one JSON value each, read once and rewritten whole
// at each change. One that cannot be read or parsed (a disk fault, a
// hand edit gone wrong) costs what it held, never the plugin's start:
// LoadStateFile logs it once, naming the file and what it costs, and
// sets it aside under another name, so that the next write, which starts
// from nothing, does not overwrite what an administrator may want to look
// at or mend.

// DamagedSuffix is what a file set aside gets after its name (then ".2",
// ".3"… when one was set aside before): nothing reads it again.
const DamagedSuffix = ".damaged"

// LoadStateFile reads the JSON state file path into a new T; ok is false
// when there is none (path "" or no file) or when it is damaged: it
// cannot be read, is not JSON of T, or holds null (which would leave a
// map nil). A damaged file is logged at warning level with its path, the
// name it was set aside as (SetAside) and cost, what its loss costs the
// user in a few words ("the read marks are sent again"), and the zero T
// is returned, never one partly filled. log nil is slog.Default().
func LoadStateFile[T any](path, cost string, log *slog.Logger) (v T, ok bool) {
	if path == "" {
		return v, false
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return v, false
	}
	if err == nil {
		if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
			err = errors.New("the file holds null")
		} else {
			err = json.Unmarshal(b, &v)
		}
	}
	if err == nil {
		return v, true
	}
	var zero T
	if log == nil {
		log = slog.Default()
	}
	to, rerr := SetAside(path)
	if rerr != nil {
		log.Warn("a state file is damaged, and could not be set aside: its content is not used, and is replaced at the next change",
			"file", path, "cost", cost, "err", errors.Join(err, rerr))
		return zero, false
	}
	log.Warn("a state file is damaged; set aside, its content not used", "file", path, "set_aside_as", to, "cost", cost, "err", err)
	return zero, false
}

// SaveStateFile writes v as JSON to the state file path, on disk before
// it returns (WriteFileDurably).
func SaveStateFile(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("state file %s: %w", path, err)
	}
	return WriteFileDurably(path, b)
}

// SetAside renames the damaged file path to a name not taken yet
// (AsideName) and returns it. For any file a plugin finds damaged and
// means to keep for a look without reading it again.
func SetAside(path string) (string, error) {
	to, err := AsideName(path)
	if err != nil {
		return "", err
	}
	if err := os.Rename(path, to); err != nil {
		return "", fmt.Errorf("set aside %s: %w", path, err)
	}
	return to, nil
}

// AsideName is the first name not taken of path+DamagedSuffix,
// path+".damaged.2", and so on up to ".damaged.1000": where a damaged
// file path is set aside (SetAside), or a copy of it kept when the file
// itself must stay until something replaces it. The name is free when
// looked at; the caller takes it at once.
func AsideName(path string) (string, error) {
	for i := 1; i <= 1000; i++ {
		to := path + DamagedSuffix
		if i > 1 {
			to += "." + strconv.Itoa(i)
		}
		if _, err := os.Lstat(to); err == nil {
			continue // taken
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("set aside %s: %w", path, err)
		}
		return to, nil
	}
	return "", fmt.Errorf("set aside %s: every name taken", path)
}
