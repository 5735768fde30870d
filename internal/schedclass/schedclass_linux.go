package schedclass

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// Count returns how many of process pid's threads are in each class
// (unix.SCHED_NORMAL, unix.SCHED_BATCH, ...). Threads that end while it
// reads are left out.
func Count(pid int) (map[uint32]int, error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, fmt.Errorf("list the threads of process %d: %w", pid, err)
	}
	out := map[uint32]int{}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		a, err := unix.SchedGetAttr(tid, 0)
		if errors.Is(err, unix.ESRCH) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("scheduling class of thread %d: %w", tid, err)
		}
		out[a.Policy]++
	}
	return out, nil
}

// CanSet reports whether this machine lets a process change a thread's
// class (a sandbox may refuse), asked on a thread that ends with the
// question so that the caller's threads keep theirs.
func CanSet() error {
	res := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		a, err := unix.SchedGetAttr(0, 0)
		if err == nil {
			a.Policy = unix.SCHED_BATCH
			err = unix.SchedSetAttr(0, a, 0)
		}
		res <- err
	}()
	return <-res
}
