package bridge

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"syscall"
	"testing"
)

// TestStoreFailLogsADistinctCause: while a kind of write fails with one
// cause, its line is said once; a failure of another cause (the disk
// full, then an I/O error, or the store closed) is said at once, not
// hidden in the count of the first.
func TestStoreFailLogsADistinctCause(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	var l storeFailLog
	full := func(n int) error {
		return fmt.Errorf("store: write log db.wal.%d: %w", n, &fs.PathError{Op: "write", Path: "db.wal", Err: syscall.ENOSPC})
	}
	for i := range 3 {
		l.fail(log, slog.LevelError, "message map", "message map write failed", full(i))
	}
	if n := strings.Count(buf.String(), "no space left on device"); n != 1 {
		t.Fatalf("the same cause logged %d times, want once:\n%s", n, &buf)
	}
	l.fail(log, slog.LevelError, "message map", "message map write failed", fmt.Errorf("store: %w", errors.New("input/output error")))
	if !strings.Contains(buf.String(), "input/output error") {
		t.Fatalf("another cause of failure is not logged:\n%s", &buf)
	}
}
