package schedclass

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// Each calls fn with the scheduling attributes of each thread of process
// pid, until fn fails. Threads that end meanwhile are left out.
func Each(pid int, fn func(tid int, a *unix.SchedAttr) error) error {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return fmt.Errorf("list the threads of process %d: %w", pid, err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		a, err := unix.SchedGetAttr(tid, 0)
		if errors.Is(err, unix.ESRCH) {
			continue // the thread has exited
		}
		if err != nil {
			return fmt.Errorf("scheduling class of thread %d: %w", tid, err)
		}
		if err := fn(tid, a); err != nil {
			return err
		}
	}
	return nil
}

// Count returns how many of process pid's threads are in each class
// (unix.SCHED_NORMAL, unix.SCHED_BATCH, ...).
func Count(pid int) (map[uint32]int, error) {
	out := map[uint32]int{}
	err := Each(pid, func(_ int, a *unix.SchedAttr) error {
		out[a.Policy]++
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetBatch puts the calling thread in the batch class, keeping its nice
// value. Lock the goroutine to its thread first.
func SetBatch() error {
	a, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		return err
	}
	a.Policy = unix.SCHED_BATCH
	return unix.SchedSetAttr(0, a, 0)
}

// CanSet reports whether this machine lets a process change a thread's
// class (a sandbox may refuse), asked on a thread that ends with the
// question so that the caller's threads keep theirs.
func CanSet() error {
	res := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		res <- SetBatch()
	}()
	return <-res
}
