package main

import (
	"os"
	"runtime"
	"strconv"
)

// shareCPUs gives the gateway, and through the environment its plugins,
// half of the processors Go would use (at least one), unless the
// GOMAXPROCS variable is set; it returns the value in force and whether it
// chose it.
//
// The gateway shares its machine with the XMPP server, and a message is a
// chain of short hand-offs between goroutines: with a P per CPU each
// hand-off wakes another thread. Issue 15 removed this (then forced on
// every plugin by the SDK) and measured what it cost: on 2 vCPUs, 10
// alternating rounds, the echo path's ratio to the shaped path at a window
// of 20 fell from 0.83 to 0.56 without it and came back to 0.70 with
// GOMAXPROCS=1 alone, the largest of the removals (docs/performance.md).
// Go's own default is the starting point, so a container's CPU limit is
// still honoured; an admin's GOMAXPROCS wins.
func shareCPUs() (n int, chosen bool) {
	if os.Getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0), false
	}
	n = max(1, runtime.GOMAXPROCS(0)/2)
	runtime.GOMAXPROCS(n)
	// Plugins get the gateway's Go runtime variables (bridge/pluginhost/env.go).
	os.Setenv("GOMAXPROCS", strconv.Itoa(n))
	return n, true
}
