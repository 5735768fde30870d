package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/bridge/metrics"
)

// checkListeners is check-config's try of the [metrics] and [media]
// listen addresses, which run opens and fails on. A port another
// program holds is a warning (stdout): the gateway being checked before
// its restart holds its own. Any other refusal (an address of no
// interface here) is an error (stderr, false): run would fail the same.
// A port below the unprivileged ones that opens only because check-config
// runs as root (as the unit's header has it) is a warning: the service's
// user may not open it.
func checkListeners(cfg *config.Config, stdout, stderr io.Writer) bool {
	ok := true
	for _, l := range []struct {
		addr, key, table string
		line             int
	}{
		{cfg.Metrics.Listen, "metrics.listen", "[metrics] listen", cfg.Metrics.ListenLine},
		{cfg.Media.Listen, "media.listen", "[media] listen", cfg.Media.ListenLine},
	} {
		if l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err == nil {
			port := ln.Addr().(*net.TCPAddr).Port
			ln.Close()
			if start := unprivilegedPortStart(); os.Geteuid() == 0 && port < start {
				e := &config.Error{File: cfg.Path, Line: l.line, Key: l.key,
					Err: fmt.Errorf("%q: port %d opens here only as root: a port below %d needs CAP_NET_BIND_SERVICE, which examples/passerelle.service does not give; set %s to a port above %d, or run fails", l.addr, port, start, l.table, start-1)}
				fmt.Fprintf(stdout, "warning:   %v\n", e)
			}
			continue
		}
		e := &config.Error{File: cfg.Path, Line: l.line, Key: l.key,
			Err: fmt.Errorf("%q: %w%s", l.addr, err, metrics.ListenHint(err, l.table))}
		if errors.Is(err, syscall.EADDRINUSE) {
			fmt.Fprintf(stdout, "warning:   %v; run fails while it does\n", e)
			continue
		}
		fmt.Fprintln(stderr, e)
		ok = false
	}
	return ok
}

// unprivilegedPortStart is the lowest port a process without
// CAP_NET_BIND_SERVICE may open (the net.ipv4.ip_unprivileged_port_start
// sysctl, 1024 where it cannot be read).
func unprivilegedPortStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		return 1024
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 1024
	}
	return n
}
