package testserver

import (
	"net"
	"strings"
	"testing"
)

// Restarter is a harness's server as CheckPortTaken drives it.
type Restarter interface {
	C2SAddr() string
	Start() error
	Stop() error
}

// CheckPortTaken checks a new, never started server against a stranger
// holding its c2s port: taken before the first start, Start moves to
// other ports; taken during a restart, the addresses are known, so Start
// fails and its error says why with portLine, the server's log line.
func CheckPortTaken(t *testing.T, srv Restarter, portLine string) {
	t.Helper()
	taken := srv.C2SAddr()
	l, err := net.Listen("tcp", taken)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if srv.C2SAddr() == taken {
		t.Fatalf("still on the taken port %s", taken)
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	l2, err := net.Listen("tcp", srv.C2SAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if err := srv.Start(); err == nil || !strings.Contains(err.Error(), portLine) {
		t.Fatalf("restart on a taken port: %v", err)
	}
}
