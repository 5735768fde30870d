package ngircdtest

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPortsBelowEphemeralRange: the server's ports, and FreePort's, are
// below the kernel's ephemeral range. A client retrying 127.0.0.1:P while
// the server is down may otherwise be given P as its own source port and
// connect to itself, and any process's outgoing connection may hold P
// when the server binds it again (CI runs every package at once).
func TestPortsBelowEphemeralRange(t *testing.T) {
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
	s := Start(t, Config{})
	for name, p := range map[string]int{"server": s.Port, "FreePort": FreePort(t)} {
		if p >= low {
			t.Errorf("%s port %d is in the ephemeral range (from %d)", name, p, low)
		}
	}
}

// fatalTB records a Fatal instead of failing the test, to check that a
// call fails.
type fatalTB struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (f *fatalTB) Fatal(args ...any) { f.fail(fmt.Sprint(args...)) }

func (f *fatalTB) Fatalf(format string, args ...any) { f.fail(fmt.Sprintf(format, args...)) }

func (f *fatalTB) fail(msg string) {
	f.mu.Lock()
	f.msg = msg
	f.mu.Unlock()
	runtime.Goexit()
}

// failure runs f on its own goroutine with s failing into a fatalTB and
// returns what it failed with, "" if it did not.
func failure(t *testing.T, s *Server, f func()) string {
	ft := &fatalTB{TB: t}
	s.t = ft
	defer func() { s.t = t }()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	<-done
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return ft.msg
}

// TestRestartOnTakenPort: a restart finds its port held by a stranger
// (the addresses are known by then: the server cannot move). Start fails
// and says why, in ngircd's words, rather than return as if the server
// served, talking to the stranger.
func TestRestartOnTakenPort(t *testing.T) {
	s := Start(t, Config{})
	s.Stop()
	l, err := net.Listen("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	msg := failure(t, s, s.Start)
	if msg == "" {
		t.Fatal("Start on a port a stranger holds returned as if ngircd served it")
	}
	if !strings.Contains(msg, "Address already in use") {
		t.Errorf("Start's failure does not say the port is taken: %s", msg)
	}
}

// TestFirstStartMovesOffTakenPort: before the server has served, nobody
// knows its addresses, so a port a stranger took between its reservation
// and ngircd's bind makes the start move to other ports.
func TestFirstStartMovesOffTakenPort(t *testing.T) {
	s := Start(t, Config{})
	s.Stop()
	taken := s.Addr()
	l, err := net.Listen("tcp", taken)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s.started = false // as at a first start
	if msg := failure(t, s, s.Start); msg != "" {
		t.Fatalf("first start with a port taken: %s", msg)
	}
	if s.Addr() == taken {
		t.Fatalf("still on the taken port %s", taken)
	}
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second)) // bounds a failure only
	if _, err := c.Write([]byte("NICK probe\r\nUSER probe 0 * :p\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	if n, err := c.Read(buf); err != nil || !strings.Contains(string(buf[:n]), "irc.test") {
		t.Fatalf("the moved server answered %q, %v", buf[:n], err)
	}
}
