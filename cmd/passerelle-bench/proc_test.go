package main

import (
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestProcWait: threads that outnumber the cores, all busy, wait for one;
// the measure sees it.
func TestProcWait(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc/self/task here")
	}
	if _, err := procWait(1 << 30); err == nil {
		t.Fatal("procWait of a process that does not exist: no error")
	}
	before, err := procWait(os.Getpid())
	if err != nil {
		t.Skipf("no schedstat on this kernel: %v", err)
	}
	n := 2*runtime.NumCPU() + 1
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(n))
	var wg sync.WaitGroup
	stop := time.Now().Add(300 * time.Millisecond)
	for range n {
		wg.Go(func() {
			runtime.LockOSThread() // each spins on a thread of its own
			defer runtime.UnlockOSThread()
			for time.Now().Before(stop) {
			}
		})
	}
	// Read while the threads still live: an ended thread's figures go.
	time.Sleep(200 * time.Millisecond)
	after, err := procWait(os.Getpid())
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if after-before < 0.01 {
		t.Fatalf("%d busy threads on %d CPUs waited %.3f s for a core; want some", n, runtime.NumCPU(), after-before)
	}
}
