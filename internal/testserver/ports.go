// Package testserver holds what the test harnesses of real servers
// (internal/prosodytest, internal/ejabberdtest) share: loopback ports no
// other server of the test process holds, and a child process that dies
// with the test, whose start-up is waited for and whose stop is bounded.
package testserver

import (
	"errors"
	"fmt"
	"io"
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
//
// Every test process (go test runs packages at once) picks from the same
// range: a port is also locked in a file shared by all of them
// (lockPort), so that no other package's server binds it, not even while
// its own server is stopped for a restart.
const lowestPort = 10000

var (
	portsMu  sync.Mutex
	reserved = map[int]io.Closer{} // ports held by live servers of this process, with their locks
)

// ReservePorts returns n distinct loopback ports that were free a moment
// ago and that no other server of this process, nor of another test
// process of this user, holds. Another program may still take one before
// the server binds it; its start then fails with the server's own error
// rather than talking to a stranger.
func ReservePorts(n int) ([]int, error) {
	return reservePortsIn(n, lowestPort, ephemeralLow())
}

// reservePortsIn is ReservePorts from the ports [low, high).
func reservePortsIn(n, low, high int) ([]int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
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
		if _, ok := reserved[p]; ok {
			continue
		}
		lock, ok := lockPort(p)
		if !ok {
			continue // another test process holds it
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			lock.Close()
			continue
		}
		l.Close()
		reserved[p] = lock
		ports = append(ports, p)
	}
	if len(ports) < n {
		releaseLocked(ports)
		return nil, errors.New("testserver: no free loopback port found")
	}
	return ports, nil
}

// ReleasePorts gives ports reserved by ReservePorts back, once their
// server is closed.
func ReleasePorts(ports []int) {
	portsMu.Lock()
	defer portsMu.Unlock()
	releaseLocked(ports)
}

func releaseLocked(ports []int) {
	for _, p := range ports {
		if lock, ok := reserved[p]; ok {
			lock.Close()
			delete(reserved, p)
		}
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
