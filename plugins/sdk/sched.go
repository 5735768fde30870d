package sdk

import "os"

// YieldToServer puts every thread of the process in the kernel's batch
// scheduling class (Linux; elsewhere it does nothing and returns false),
// unless PASSERELLE_SCHED_BATCH=0. Threads the Go runtime starts later,
// and processes started from them (plugins), inherit the class. Threads
// an administrator put in another class (real-time, idle) are left alone.
// It returns whether the process is now batch-scheduled.
//
// The gateway, its plugins and the XMPP server usually share a few cores,
// and the server's one thread is the slowest link of the message path.
// A batch thread does not preempt the one running when it wakes up, so
// the gateway's many short wake-ups (a stanza read, a gRPC frame, a log
// write done) stop cutting into the server's turns; the kernel's nice
// levels do not do that (measured: nice +5 changed nothing). Measured with
// passerelle-bench on 2 vCPUs, 5 A B pairs: echo msgs/s +21 % at a window
// of 1 and +13 % at 20, the gateway's CPU per message -24 % and -15 %,
// and the share of time Prosody waited for a core from 12-15 % to 7-8 %
// at a window of 1.
func YieldToServer() (bool, error) {
	if os.Getenv("PASSERELLE_SCHED_BATCH") == "0" {
		return false, nil
	}
	return batchThreads()
}
