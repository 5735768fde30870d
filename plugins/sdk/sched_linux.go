package sdk

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"passerelle.im/passerelle/internal/schedclass"
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
	err = schedclass.Each(os.Getpid(), func(tid int, attr *unix.SchedAttr) error {
		if attr.Policy != unix.SCHED_NORMAL {
			return nil // batch already, or the administrator's choice
		}
		attr.Policy = unix.SCHED_BATCH // the nice value and flags are kept
		if err := unix.SchedSetAttr(tid, attr, 0); err != nil {
			if errors.Is(err, unix.ESRCH) {
				return nil // the thread has exited
			}
			return fmt.Errorf("set the batch class on thread %d: %w", tid, err)
		}
		changed++
		return nil
	})
	if err != nil {
		return changed, fmt.Errorf("sdk: %w", err)
	}
	return changed, nil
}
