// Package testserver holds what the test harnesses of real servers
// (internal/prosodytest, internal/ejabberdtest) share: loopback ports no
// other server of the test process holds, and a child process that dies
// with the test, whose start-up is waited for and whose stop is bounded.
package testserver

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Ports are picked below the kernel's ephemeral range, not with ":0". A
// server keeps its ports while it is stopped, and a gateway retrying
// 127.0.0.1:P during that time may be given P itself as its source port if
// P is ephemeral: TCP then "connects" the socket to itself (simultaneous
// open), or the outgoing socket holds P when the server binds again. Below the
// range the kernel never hands P out on its own.
const lowestPort = 10000

var (
	portsMu  sync.Mutex
	reserved = map[int]bool{} // ports held by live servers of this process
)

// ReservePorts returns n distinct loopback ports that were free a moment
// ago and that no other server of this process holds. Another process may
// still take one before the server binds it; its start then fails with
// the server's own error rather than talking to a stranger.
func ReservePorts(n int) ([]int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	low, high := lowestPort, ephemeralLow()
	var ports []int
	for attempt := 0; len(ports) < n && attempt < 1000; attempt++ {
		var p int
		if high-low >= 1000 {
			p = low + rand.IntN(high-low)
		} else {
			var err error
			if p, err = kernelPort(); err != nil {
				releaseLocked(ports)
				return nil, err
			}
		}
		if reserved[p] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		l.Close()
		reserved[p] = true
		ports = append(ports, p)
	}
	if len(ports) < n {
		releaseLocked(ports)
		return nil, errors.New("testserver: no free loopback port found")
	}
	return ports, nil
}

func ReleasePorts(ports []int) {
	portsMu.Lock()
	defer portsMu.Unlock()
	releaseLocked(ports)
}

func releaseLocked(ports []int) {
	for _, p := range ports {
		delete(reserved, p)
	}
}

// ephemeralLow is the first port of the kernel's ephemeral range.
func ephemeralLow() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768 // Linux default; other systems: IANA's is 49152
	}
	f := strings.Fields(string(data))
	if len(f) < 1 {
		return 32768
	}
	v, err := strconv.Atoi(f[0])
	if err != nil {
		return 32768
	}
	return v
}

// kernelPort is the fallback when the range leaves too little room below.
func kernelPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("testserver: pick a port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
