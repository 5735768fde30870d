//go:build unix

package testserver

import (
	"syscall"
	"testing"
)

// TestPortsWithoutFlock: where the lock folder's file system refuses
// flock (ENOLCK on an NFS /tmp, EOPNOTSUPP), ports are still given out,
// held by this process's own reservations, as without a lock folder;
// only a lock another process holds makes a port taken.
func TestPortsWithoutFlock(t *testing.T) {
	flock = func(int, int) error { return syscall.ENOLCK }
	defer func() { flock = syscall.Flock }()
	ports, err := ReservePorts(3)
	if err != nil {
		t.Fatalf("ReservePorts without flock: %v", err)
	}
	ReleasePorts(ports)
}
