package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"passerelle.im/passerelle/bridge/config"
	"passerelle.im/passerelle/bridge/metrics"
)

// checkListeners is check-config's try of the [metrics] and [media]
// listen addresses, which run opens and fails on. A port another
// program holds is a warning (stdout): the gateway being checked before
// its restart holds its own. Any other refusal (an address of no
// interface here) is an error (stderr, false): run would fail the same.
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
			ln.Close()
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
