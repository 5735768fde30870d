//go:build unix

package irc

import (
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"
)

// The own-lines record is written to disk (and synced) without the
// session's lock held: a disk slow to take it (here a write that cannot
// end until the test reads it) leaves every callback and call of the
// session free to take the lock. Before, the write was made under the
// lock, and a slow or stalled disk held every callback of the
// connection, and each call of the login, behind it.
func TestOwnWrittenWithoutTheSessionLock(t *testing.T) {
	n := &Network{host: &stateHost{}, dataDir: t.TempDir()}
	s := newSession(n, "kit@irc.test:6667/x", Account{})
	s.mu.Lock()
	for i := range ownKept {
		s.keepOwnMsgidLocked(fmt.Sprintf("%0200d", i)) // past a pipe's buffer: the write blocks
	}
	s.mu.Unlock()
	// The file's write goes through path.tmp (sdk.WriteFileDurably): a
	// pipe there holds it until the test reads.
	tmp := s.own.path + ".tmp"
	if err := syscall.Mkfifo(tmp, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.flushOwn(); close(done) }()
	r, err := os.Open(tmp) // returns once the write opened it
	if err != nil {
		t.Fatal(err)
	}
	free := s.mu.TryLock()
	if free {
		s.mu.Unlock()
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		t.Error(err)
	}
	r.Close()
	<-done
	if !free {
		t.Error("the session's lock was held while the record was written")
	}
}
