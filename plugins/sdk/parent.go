package sdk

import (
	"os"
	"time"
)

// parentPoll is how often a plugin checks that the gateway still runs.
const parentPoll = 500 * time.Millisecond

// watchParent calls gone once the process that started this one has
// died: the plugin is then reparented, and its parent PID changes. A
// gateway killed with SIGKILL cannot stop its plugin, and a plugin left
// running keeps its network sessions open and its data folder locked.
//
// Polling getppid costs one system call per interval and needs nothing
// from the host. Go's parent-death signal (Pdeathsig) is not used: it
// fires when the OS thread that started the child exits, not the
// process, which the host cannot control from an ordinary goroutine.
func watchParent(every time.Duration, gone func()) {
	ppid := os.Getppid()
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for range t.C {
			if os.Getppid() != ppid {
				gone()
				return
			}
		}
	}()
}
