package config

import (
	"os"
	"path/filepath"
	"strings"
)

// baseDir is the folder the relative paths of the configuration at abs
// are resolved against: the file's own folder, unless the configuration
// is no file kept in a folder but a stream (-c /dev/stdin, /dev/fd/N,
// bash's <(...), a named pipe): then the working directory, where the
// command was typed. "/dev/stdin" put the
// store at /dev/data/passerelle.db.
func baseDir(abs string) string {
	if isStream(abs) {
		if wd, err := os.Getwd(); err == nil {
			return wd
		}
	}
	return filepath.Dir(abs)
}

// isStream reports whether the configuration at abs is read from a
// stream rather than a regular file in a folder of its own: a file that
// is not a regular one, or a file descriptor's path, whose folder is no
// folder of the file's even when the descriptor is a regular file's
// (-c /dev/stdin < FILE).
func isStream(abs string) bool {
	if isDescriptor(abs) {
		return true
	}
	fi, err := os.Stat(abs)
	return err == nil && !fi.Mode().IsRegular()
}

// isDescriptor reports whether abs names a file descriptor the command
// was handed (/dev/stdin, /dev/fd/N, /proc/PID/fd/N): open already, so
// reading it does not wait for a writer to open it, as a named pipe's
// path does.
func isDescriptor(abs string) bool {
	return abs == "/dev/stdin" || strings.HasPrefix(abs, "/dev/fd/") ||
		strings.HasPrefix(abs, "/proc/") && strings.Contains(abs, "/fd/")
}

// Dir is the folder the relative paths of the configuration at path are
// resolved against (see baseDir), for a tool that reads the file's keys
// as the gateway does.
func Dir(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return baseDir(abs), nil
}

// streamedFile is the file a configuration read from a stream comes
// from when the stream is a regular file's (-c /dev/stdin < FILE), else
// path: a warning about the file's mode named /dev/stdin, and offered
// chmod 600 /dev/stdin.
func streamedFile(path string) string {
	if !FromStream(path) {
		return path
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil || isStream(real) {
		return path
	}
	return real
}

// FromStream reports whether the configuration at path is read from a
// stream (stdin, a pipe: see baseDir), which cannot be read a second time.
func FromStream(path string) bool {
	abs, err := filepath.Abs(path)
	return err == nil && isStream(abs)
}
