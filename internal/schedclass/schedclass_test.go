//go:build linux

package schedclass

import (
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestCount: a thread put in the batch class is counted there, the
// others stay normal; a process that does not exist is an error.
func TestCount(t *testing.T) {
	if Batch != unix.SCHED_BATCH {
		t.Fatalf("Batch = %d, the kernel's is %d", Batch, unix.SCHED_BATCH)
	}
	if _, err := Count(1 << 30); err == nil {
		t.Fatal("Count of a process that does not exist: no error")
	}
	before, err := Count(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if before[unix.SCHED_BATCH] != 0 || before[unix.SCHED_NORMAL] == 0 {
		t.Fatalf("before: %v, want only normal threads", before)
	}
	set := make(chan error)
	release := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with its class
		set <- SetBatch()
		<-release
	}()
	if err := <-set; err != nil {
		close(release)
		t.Skipf("this machine refuses scheduling classes: %v", err)
	}
	after, err := Count(os.Getpid())
	close(release)
	if err != nil || after[unix.SCHED_BATCH] != 1 {
		t.Fatalf("after: %v, %v; want one batch thread", after, err)
	}
}
