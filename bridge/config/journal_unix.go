//go:build unix

package config

import (
	"fmt"
	"os"
	"syscall"
)

// toJournal reports whether f is the stream systemd connected to
// journald for this service: systemd names it in JOURNAL_STREAM
// ("device:inode"), and a stderr redirected elsewhere since (a shell's
// 2>file) no longer matches.
func toJournal(f *os.File) bool {
	want := os.Getenv("JOURNAL_STREAM")
	if want == "" {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && fmt.Sprintf("%d:%d", st.Dev, st.Ino) == want
}
