package sdk

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// batchThreads sets SCHED_BATCH on the process's threads. A thread started
// while the list is read inherits its creator's class, which may still be
// the old one, so it goes over the list until a pass changes nothing.
func batchThreads() (bool, error) {
	for range 8 {
		changed, err := batchPass()
		if err != nil {
			return false, err
		}
		if changed == 0 {
			return true, nil
		}
	}
	return false, errors.New("sdk: threads kept appearing while setting the batch scheduling class")
}

func batchPass() (changed int, err error) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0, fmt.Errorf("sdk: list threads: %w", err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		attr, err := unix.SchedGetAttr(tid, 0)
		if errors.Is(err, unix.ESRCH) {
			continue // the thread has exited
		}
		if err != nil {
			return changed, fmt.Errorf("sdk: scheduling class of thread %d: %w", tid, err)
		}
		if attr.Policy != unix.SCHED_NORMAL {
			continue // batch already, or the administrator's choice
		}
		attr.Policy = unix.SCHED_BATCH // the nice value and flags are kept
		if err := unix.SchedSetAttr(tid, attr, 0); err != nil {
			if errors.Is(err, unix.ESRCH) {
				continue
			}
			return changed, fmt.Errorf("sdk: set the batch class on thread %d: %w", tid, err)
		}
		changed++
	}
	return changed, nil
}
