package main

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestFreeAddrBelowEphemeralRange: the pprof and ngircd addresses are
// below the kernel's ephemeral range, so that no outgoing socket (the
// bench's clients, another run's) holds the port when the server binds it.
func TestFreeAddrBelowEphemeralRange(t *testing.T) {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		t.Skipf("no ephemeral range to check against: %v", err)
	}
	low, err := strconv.Atoi(strings.Fields(string(data))[0])
	if err != nil {
		t.Fatal(err)
	}
	if low < 2000 {
		t.Skipf("ephemeral range starts at %d: no room below it", low)
	}
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := strconv.Atoi(port); err != nil || p >= low {
		t.Errorf("freeAddr gave %s, in the ephemeral range (from %d)", addr, low)
	}
}
